namespace AlpacaConnect.Core.Alpaca;

/// <summary>A user's Alpaca bearer token. Wrapped so it cannot slip into a log or message by ToString().</summary>
public sealed record AccessToken(string Value)
{
    public override string ToString() => "AccessToken(redacted)";
}
