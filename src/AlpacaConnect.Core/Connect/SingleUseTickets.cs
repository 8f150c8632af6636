using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Connect;

public enum RedeemOutcome
{
    Redeemed,
    Unknown,
    Expired,
    AlreadyUsed,
}

/// <param name="Completed">The ticket was used and what it started finished (a state: the connection was stored).</param>
/// <param name="CodeVerifier">A state's PKCE verifier, when it was issued with one.</param>
public sealed record Redemption(RedeemOutcome Outcome, ConnectIntent? Intent = null, bool Completed = false, string? CodeVerifier = null);

/// <summary>
/// Single-use, expiring tickets bound to a <see cref="ConnectIntent"/>: connect links and OAuth states.
/// Stored under the SHA-256 of the ticket; redeeming is an ETag-guarded update, so two concurrent
/// redemptions cannot both succeed. Each row is scheduled for deletion at its expiry (retention)
/// before it is written.
/// </summary>
internal sealed class SingleUseTickets(Tables tables, string tableName, RetentionIndex retention, TimeProvider time)
{
    private readonly TableClient _table = tables.Get(tableName);

    /// <param name="codeVerifier">A state's PKCE verifier, kept in its row and handed back on redemption.</param>
    public async Task<(string Ticket, DateTimeOffset ExpiresAt)> IssueAsync(ConnectIntent intent, TimeSpan lifetime, string? codeVerifier, CancellationToken ct)
    {
        var ticket = OpaqueTokens.New();
        var expiresAt = time.GetUtcNow() + lifetime;
        var entity = Entity(OpaqueTokens.Hash(ticket), intent, expiresAt);
        if (codeVerifier is not null)
            entity["CodeVerifier"] = codeVerifier;
        await retention.ScheduleRowAsync(tableName, entity.PartitionKey, entity.RowKey, expiresAt, ct);
        await _table.AddEntityAsync(entity, ct);
        return (ticket, expiresAt);
    }

    public async Task<Redemption> RedeemAsync(string? ticket, CancellationToken ct)
    {
        if (!OpaqueTokens.LooksValid(ticket))
            return new Redemption(RedeemOutcome.Unknown);
        var found = await _table.GetEntityIfExistsAsync<TableEntity>(OpaqueTokens.Hash(ticket!), "", cancellationToken: ct);
        if (!found.HasValue)
            return new Redemption(RedeemOutcome.Unknown);

        var entity = found.Value!;
        var intent = Intent(entity);
        if (entity.GetDateTimeOffset("UsedAt") is not null)
            return new Redemption(RedeemOutcome.AlreadyUsed, intent, entity.GetDateTimeOffset("CompletedAt") is not null);
        if (entity.GetDateTimeOffset("ExpiresAt") <= time.GetUtcNow())
            return new Redemption(RedeemOutcome.Expired, intent);

        entity["UsedAt"] = time.GetUtcNow();
        try
        {
            await _table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Merge, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return new Redemption(RedeemOutcome.AlreadyUsed, intent);
        }
        return new Redemption(RedeemOutcome.Redeemed, intent, CodeVerifier: entity.GetString("CodeVerifier"));
    }

    /// <summary>
    /// Records that what a redeemed ticket started has finished, so a repeated use (Back, then Allow
    /// again) can say so and show the way back instead of a dead end.
    /// </summary>
    public async Task MarkCompletedAsync(string ticket, CancellationToken ct) =>
        await _table.UpdateEntityAsync(new TableEntity(OpaqueTokens.Hash(ticket), "") { ["CompletedAt"] = time.GetUtcNow() },
            ETag.All, TableUpdateMode.Merge, ct);

    /// <summary>Records that a value (a signed link) has been used; false if it already was.</summary>
    public async Task<bool> ClaimAsync(string value, ConnectIntent intent, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var entity = Entity(OpaqueTokens.Hash(value), intent, expiresAt);
        entity["UsedAt"] = time.GetUtcNow();
        try
        {
            await retention.ScheduleRowAsync(tableName, entity.PartitionKey, entity.RowKey, expiresAt, ct);
            await _table.AddEntityAsync(entity, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    private static TableEntity Entity(string key, ConnectIntent intent, DateTimeOffset expiresAt) => new(key, "")
    {
        ["UserId"] = intent.UserId,
        ["Env"] = intent.Env.ToWire(),
        ["ReturnUrl"] = intent.ReturnUrl.AbsoluteUri,
        ["ExpiresAt"] = expiresAt,
    };

    private static ConnectIntent Intent(TableEntity entity)
    {
        if (!AlpacaEnvNames.TryParse(entity.GetString("Env"), out var env))
            throw new InvalidOperationException($"Stored ticket has an unknown env '{entity.GetString("Env")}'.");
        return new ConnectIntent(entity.GetString("UserId"), env, new Uri(entity.GetString("ReturnUrl")));
    }
}
