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
/// An open trade also has an index row in its partition (<see cref="OpenPrefix"/> + its row key),
/// written in the transaction that opens it and deleted in the one that closes it, and its user is
/// marked in the <see cref="WorkIndex"/> first: the status sync finds open trades by key.
/// </summary>
public sealed class TradeStore(Tables tables, EventOutbox outbox, WorkIndex index)
{
    /// <summary>Row keys of open trades' index rows; trade row keys are hex, so these never collide.</summary>
    public const string OpenPrefix = "open~";

    /// <summary>The <see cref="WorkIndex"/> kind that names users with open trades.</summary>
    public const string OpenKind = "trades~open";

    private TableClient Table => tables.Get(Tables.Trades);

    public abstract record AcceptOutcome;
    public sealed record Accepted(TradeEntity Trade) : AcceptOutcome;
    /// <summary>The key was used before: the same body means the same trade, another body a conflict.</summary>
    public sealed record KeyUsed(TradeEntity Trade, bool SameBody) : AcceptOutcome;

    /// <summary>Inserts the trade (its row key comes from its idempotency key and its BodyHash is set).</summary>
    public async Task<AcceptOutcome> AcceptAsync(TradeEntity trade, CancellationToken ct)
    {
        try
        {
            await index.MarkAsync(OpenKind, trade.PartitionKey, ct);
            trade.ETag = await outbox.CommitAsync(Tables.Trades,
                [new TableTransactionAction(TableTransactionActionType.Add, trade), new TableTransactionAction(TableTransactionActionType.Add, OpenRow(trade))],
                trade.TakeEvents(), ct);
            trade.MarkStored();
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await GetAsync(trade.PartitionKey, trade.RowKey, ct)
                ?? throw new InvalidOperationException("Table storage reported a conflict for a trade it does not have.", ex);
            return new KeyUsed(existing, existing.BodyHash == trade.BodyHash);
        }
        return new Accepted(trade);
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
        List<TableTransactionAction> changes = [new(TableTransactionActionType.UpdateReplace, trade, etag)];
        // The index row follows the trade: gone when it closes, back if it opens again (a late order found for a failed trade).
        if (trade.OpenAsStored && !trade.IsOpen)
            changes.Add(new(TableTransactionActionType.Delete, OpenRow(trade), ETag.All));
        else if (!trade.OpenAsStored && trade.IsOpen)
        {
            await index.MarkAsync(OpenKind, trade.PartitionKey, ct);
            changes.Add(new(TableTransactionActionType.UpsertReplace, OpenRow(trade)));
        }
        var events = trade.TakeEvents();
        try
        {
            trade.ETag = await outbox.CommitAsync(Tables.Trades, changes, events, ct);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404 && changes.Count == 2 && changes[1].ActionType == TableTransactionActionType.Delete)
        {
            // The trade as read but no index row (written before the index existed): close it without one.
            return await ExistsAsync(trade, etag, ct) && await TryCommitAsync(trade, [changes[0]], events, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
        trade.MarkStored();
        return true;
    }

    private async Task<bool> TryCommitAsync(TradeEntity trade, IReadOnlyList<TableTransactionAction> changes, List<Events.DomainEvent> events, CancellationToken ct)
    {
        try
        {
            trade.ETag = await outbox.CommitAsync(Tables.Trades, changes, events, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
        trade.MarkStored();
        return true;
    }

    private async Task<bool> ExistsAsync(TradeEntity trade, ETag etag, CancellationToken ct) =>
        (await GetAsync(trade.PartitionKey, trade.RowKey, ct))?.ETag == etag;

    private static TableEntity OpenRow(TradeEntity trade) => new(trade.PartitionKey, OpenPrefix + trade.RowKey);

    /// <summary>The users that may have open trades (marks in the <see cref="WorkIndex"/>).</summary>
    public AsyncPageable<TableEntity> QueryOpenUsersAsync(CancellationToken ct) => index.ListAsync(OpenKind, ct);

    /// <summary>Retires a user's mark once the sync found no open trade under it (and it is old).</summary>
    public Task<bool> TryRetireOpenUserAsync(TableEntity mark, CancellationToken ct) => index.TryRetireAsync(mark, ct);

    /// <summary>
    /// One user's open trades, by their index rows. An index row whose trade is closed or gone is
    /// deleted on the way (it cannot be open work).
    /// </summary>
    public async Task<List<TradeEntity>> QueryOpenAsync(string userId, CancellationToken ct)
    {
        var open = new List<TradeEntity>();
        await foreach (var row in Table.QueryAsync<TableEntity>(TableKeys.WithPrefix(userId, OpenPrefix), select: ["RowKey"], cancellationToken: ct))
        {
            var trade = await GetAsync(userId, row.RowKey[OpenPrefix.Length..], ct);
            if (trade is { IsOpen: true })
                open.Add(trade);
            else
            {
                // Under the row's own ETag, so a trade reopened meanwhile keeps its new index row.
                try
                {
                    await Table.DeleteEntityAsync(userId, row.RowKey, row.ETag, ct);
                }
                catch (RequestFailedException ex) when (ex.Status == 412)
                {
                }
            }
        }
        return open;
    }

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
