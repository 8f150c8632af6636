using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Connections;

/// <summary>
/// Connections in Table Storage: partition = app user id, row = env, so one user's connections are
/// one partition read. The token is stored only encrypted.
/// </summary>
public sealed class ConnectionStore
{
    private readonly Tables _tables;
    private readonly TokenProtector _protector;
    private readonly EventOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly AccountOwners _owners;

    public ConnectionStore(Tables tables, TokenProtector protector, EventOutbox outbox, TimeProvider time)
    {
        _tables = tables;
        _protector = protector;
        _outbox = outbox;
        _time = time;
        _owners = new AccountOwners(tables.Get(Tables.AccountOwners), FindAsync, time);
    }

    private TableClient Table => _tables.Get(Tables.Connections);

    /// <summary>
    /// Connects the user's env to the account, unless another user holds that account
    /// (<see cref="AccountOwners"/>) and <paramref name="allowSharedAccounts"/> is off: then nothing is
    /// stored, <c>connection.refused</c> is published and the result names the holder (for the log only).
    /// </summary>
    public async Task<ConnectResult> ConnectAsync(string userId, AlpacaEnv env, AlpacaAccount account, string scopes, AccessToken token,
        bool allowSharedAccounts, CancellationToken ct)
    {
        var heldBy = await _owners.ClaimAsync(userId, env, account.Id, allowSharedAccounts, ct);
        if (heldBy is null)
            return new ConnectResult(await SaveAsync(userId, env, account, scopes, token, ct), null, null);

        var refused = DomainEvent.Create(EventTypes.ConnectionRefused, _time.GetUtcNow(),
            new { user_id = userId, env = env.ToWire(), account_id = account.Id, reason = ConnectRefusals.AccountAlreadyConnected });
        // Nothing changes but the event, so the outbox row is the whole write (none if nobody wants it).
        await _outbox.RecordAsync(Tables.Connections, userId, [refused], ct);
        return new ConnectResult(null, ConnectRefusals.AccountAlreadyConnected, heldBy);
    }

    /// <summary>Stores (or replaces) the user's connection for an env with a freshly encrypted token.</summary>
    private async Task<Connection> SaveAsync(string userId, AlpacaEnv env, AlpacaAccount account, string scopes, AccessToken token, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var sealedToken = await _protector.ProtectAsync(token.Value, Owner(userId, env), ct);
        var entity = new ConnectionEntity
        {
            PartitionKey = userId,
            RowKey = env.ToWire(),
            AccountId = account.Id,
            AccountNumber = account.AccountNumber,
            AccountStatus = account.Status,
            Scopes = scopes,
            Status = ConnectionStatus.Active,
            ConnectedAt = now,
            UpdatedAt = now,
            TokenCiphertext = sealedToken.Ciphertext,
            TokenKeyVersion = sealedToken.KeyVersion,
        };
        var connection = entity.ToConnection();
        await _outbox.CommitAsync(Tables.Connections, new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity),
            [Event(EventTypes.ConnectionConnected, connection, now)], ct);
        return connection;
    }

    public async Task<IReadOnlyList<Connection>> ListAsync(string userId, CancellationToken ct)
    {
        var list = new List<Connection>();
        // Rows of the partition that are not connections (outbox rows, "evt~...") are skipped.
        await foreach (var entity in Table.QueryAsync<ConnectionEntity>(e => e.PartitionKey == userId && (e.RowKey == "paper" || e.RowKey == "live"), cancellationToken: ct))
            list.Add(entity.ToConnection());
        return list;
    }

    public async Task<Connection?> GetAsync(string userId, AlpacaEnv env, CancellationToken ct) =>
        (await FindAsync(userId, env, ct))?.ToConnection();

    /// <summary>The active connection and its decrypted token, or null when there is none to use.</summary>
    public async Task<(Connection Connection, AccessToken Token)?> GetActiveWithTokenAsync(string userId, AlpacaEnv env, CancellationToken ct)
    {
        var entity = await FindAsync(userId, env, ct);
        if (entity is null || entity.Status != ConnectionStatus.Active || entity.TokenCiphertext is null || entity.TokenKeyVersion is null)
            return null;
        var token = new AccessToken(await _protector.UnprotectAsync(new ProtectedValue(entity.TokenCiphertext, entity.TokenKeyVersion), Owner(userId, env), ct));
        return (entity.ToConnection(), token);
    }

    /// <summary>Removes the token and marks the connection disconnected. False when there was no connection.</summary>
    public Task<bool> DisconnectAsync(string userId, AlpacaEnv env, CancellationToken ct) =>
        EndAsync(userId, env, ConnectionStatus.Disconnected, ct);

    /// <summary>Alpaca refused the token (401): keep the record, drop the token, show it as revoked.</summary>
    public Task<bool> MarkRevokedAsync(string userId, AlpacaEnv env, CancellationToken ct) =>
        EndAsync(userId, env, ConnectionStatus.Revoked, ct);

    private async Task<bool> EndAsync(string userId, AlpacaEnv env, string status, CancellationToken ct)
    {
        var entity = await FindAsync(userId, env, ct);
        if (entity is null)
            return false;
        if (entity.Status == status)
            return true;
        var now = _time.GetUtcNow();
        entity.Status = status;
        entity.UpdatedAt = now;
        entity.TokenCiphertext = null;
        entity.TokenKeyVersion = null;
        var type = status == ConnectionStatus.Revoked ? EventTypes.ConnectionRevoked : EventTypes.ConnectionDisconnected;
        try
        {
            // Replace (not merge) so the token columns are really removed; the ETag keeps a
            // reconnect that raced us from being overwritten.
            await _outbox.CommitAsync(Tables.Connections, new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, entity.ETag),
                [Event(type, entity.ToConnection(), now)], ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return await EndAsync(userId, env, status, ct);
        }
        return true;
    }

    private async Task<ConnectionEntity?> FindAsync(string userId, AlpacaEnv env, CancellationToken ct)
    {
        var response = await Table.GetEntityIfExistsAsync<ConnectionEntity>(userId, env.ToWire(), cancellationToken: ct);
        return response.HasValue ? response.Value : null;
    }

    private static DomainEvent Event(string type, Connection c, DateTimeOffset at) =>
        DomainEvent.Create(type, at, new { user_id = c.UserId, env = c.Env, account_id = c.AccountId, account_number = c.AccountNumber, status = c.Status, scopes = c.Scopes });

    /// <summary>The associated data that binds a ciphertext to its row.</summary>
    private static string Owner(string userId, AlpacaEnv env) => $"{userId}|{env.ToWire()}";
}

internal sealed class ConnectionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string AccountId { get; set; } = "";
    public string AccountNumber { get; set; } = "";
    public string AccountStatus { get; set; } = "";
    public string Scopes { get; set; } = "";
    public string Status { get; set; } = "";
    public DateTimeOffset ConnectedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string? TokenCiphertext { get; set; }
    public string? TokenKeyVersion { get; set; }

    public Connection ToConnection() =>
        new(PartitionKey, RowKey, AccountId, AccountNumber, AccountStatus, Scopes, Status, ConnectedAt, UpdatedAt);
}
