using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Trades in Table Storage. Partition = user id; row = a hash of the trade's idempotency key, so the
/// key is enforced by the row itself: a second insert under it fails and finds the first trade.
/// Every write goes through the outbox with the events the change raised: one entity alone when
/// nobody wants them, one entity-group transaction with their outbox rows when someone does.
/// A trade is indexed as open work (<see cref="WorkIndex"/>, kind <see cref="OpenKind"/>) with the
/// insert that opens it (or before the write that reopens it); the status sync reads that index,
/// and removes the entries of trades it finds closed.
/// </summary>
public sealed class TradeStore(Tables tables, EventOutbox outbox, WorkIndex index)
{
    /// <summary>The <see cref="WorkIndex"/> kind of open trades: partition = user id, row = the trade's row key.</summary>
    public const string OpenKind = "trades-open";

    private TableClient Table => tables.Get(Tables.Trades);

    public abstract record AcceptOutcome;
    public sealed record Accepted(TradeEntity Trade) : AcceptOutcome;
    /// <summary>The key was used before: the same body means the same trade, another body a conflict.</summary>
    public sealed record KeyUsed(TradeEntity Trade, bool SameBody) : AcceptOutcome;

    /// <summary>
    /// Inserts the trade (its row key comes from its idempotency key and its BodyHash is set) and, at
    /// the same time, indexes it as open work by group commit, so the accept waits for one round
    /// trip's time, and under load the index costs a fraction of a call per trade. Both are done
    /// when this returns. A used key answers the trade it names, and an open one is indexed again by
    /// that same write, so a caller's retry repairs an accept whose index write failed after its insert.
    /// </summary>
    public async Task<AcceptOutcome> AcceptAsync(TradeEntity trade, CancellationToken ct)
    {
        var indexed = index.AddGroupedAsync(OpenKind, trade.PartitionKey, trade.RowKey, ct);
        try
        {
            trade.ETag = await outbox.CommitAsync(Tables.Trades, new TableTransactionAction(TableTransactionActionType.Add, trade), trade.TakeEvents(), ct);
            trade.MarkStored();
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await GetAsync(trade.PartitionKey, trade.RowKey, ct)
                ?? throw new InvalidOperationException("Table storage reported a conflict for a trade it does not have.", ex);
            // The entry written meanwhile names that trade: if it is open, the entry must be there.
            if (existing.IsOpen)
                await indexed;
            else
                await Observe(indexed);
            return new KeyUsed(existing, existing.BodyHash == trade.BodyHash);
        }
        catch
        {
            await Observe(indexed);
            throw;
        }
        await indexed;
        return new Accepted(trade);
    }

    /// <summary>Waits for a write whose failure no longer matters (the entry of a trade that exists, or of one never written).</summary>
    private static async Task Observe(Task write)
    {
        try
        {
            await write;
        }
        catch (Exception ex) when (ex is RequestFailedException or OperationCanceledException or HttpRequestException)
        {
        }
    }

    public async Task<TradeEntity?> GetAsync(string userId, string rowKey, CancellationToken ct)
    {
        var found = await Table.GetEntityIfExistsAsync<TradeEntity>(userId, rowKey, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>
    /// Writes the trade, with the events its change raised, if it is unchanged since
    /// <paramref name="etag"/>; false if someone else wrote first (then nothing is written).
    /// </summary>
    public async Task<bool> TryUpdateAsync(TradeEntity trade, ETag etag, CancellationToken ct)
    {
        // A trade that opens again (a late order found for a failed trade) is indexed first.
        if (!trade.OpenAsStored && trade.IsOpen)
            await index.AddAsync(OpenKind, trade.PartitionKey, trade.RowKey, ct);
        try
        {
            trade.ETag = await outbox.CommitAsync(Tables.Trades, new TableTransactionAction(TableTransactionActionType.UpdateReplace, trade, etag), trade.TakeEvents(), ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
        trade.MarkStored();
        return true;
    }

    /// <summary>Entries of the open-trade index: every open trade has one (a closed one may, until the sync removes it).</summary>
    public IAsyncEnumerable<WorkEntry> QueryOpenIndexAsync(CancellationToken ct) => index.ListAsync(OpenKind, ct);

    /// <summary>Removes an entry whose trade the sync found closed or never written (unless it was written again meanwhile).</summary>
    public Task RemoveFromOpenIndexAsync(WorkEntry entry, CancellationToken ct) => index.RemoveAsync(entry, ct);

    /// <summary>
    /// Notes on the row when the trade's next queue message is due (a merge of that one column), if
    /// the row is unchanged since <paramref name="etag"/>. Returns the row's new ETag, or null if it
    /// changed meanwhile or is gone (then nothing is written).
    /// </summary>
    public async Task<ETag?> TryMarkNextAttemptAsync(string userId, string rowKey, DateTimeOffset due, ETag etag, CancellationToken ct)
    {
        try
        {
            var response = await Table.UpdateEntityAsync(new TableEntity(userId, rowKey) { [nameof(TradeEntity.NextAttemptAt)] = due }, etag, TableUpdateMode.Merge, ct);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    /// <summary>One user's trades (their partition), in row order; callers sort and cut.</summary>
    public IAsyncEnumerable<TradeEntity> QueryUserAsync(string userId, CancellationToken ct) =>
        Table.QueryAsync<TradeEntity>(t => t.PartitionKey == userId, cancellationToken: ct);
}
