namespace AlpacaConnect.Core.Connections;

public static class ConnectionStatus
{
    public const string Active = "active";
    /// <summary>Alpaca answered 401 for the token: the user revoked the app in Alpaca's dashboard.</summary>
    public const string Revoked = "revoked";
    /// <summary>Disconnected through our API; the token is gone.</summary>
    public const string Disconnected = "disconnected";
}

/// <summary>A user's link to one Alpaca account in one env, as shown to callers: never with the token.</summary>
public sealed record Connection(
    string UserId,
    string Env,
    string AccountId,
    string AccountNumber,
    string AccountStatus,
    string Scopes,
    string Status,
    DateTimeOffset ConnectedAt,
    DateTimeOffset UpdatedAt)
{
    public bool HasScope(string scope) => Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal);
}
