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

/// <summary>Why a connect was refused after Alpaca granted it: the reason on the return URL and in <c>connection.refused</c>.</summary>
public static class ConnectRefusals
{
    /// <summary>The Alpaca account is connected to another app user in the same env (Connect:AllowSharedAccounts is off).</summary>
    public const string AccountAlreadyConnected = "account_already_connected";
}

/// <summary>A stored connection, or the refusal (<see cref="ConnectRefusals"/>) and who holds the account.</summary>
public sealed record ConnectResult(Connection? Connection, string? RefusedReason, string? HeldBy);
