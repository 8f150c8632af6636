using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Webhooks;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Trades in Table Storage. Partition = user id; row = a hash of the trade's idempotency key, so the
/// key is enforced by the row itself: a second insert under it fails and finds the first trade.
/// A trade is written alone (one entity, one round trip) or, when someone subscribes to the event
/// its change raises, together with that event's outbox row in one entity-group transaction.
/// </summary>
public sealed class TradeStore(Tables tables, WebhookPublisher publisher)
{
    private TableClient Table => tables.Get(Tables.Trades);

    public abstract record AcceptOutcome;
    public sealed record Accepted(TradeEntity Trade) : AcceptOutcome;
    /// <summary>The key was used before: the same body means the same trade, another body a conflict.</summary>
    public sealed record KeyUsed(TradeEntity Trade, bool SameBody) : AcceptOutcome;

    /// <summary>Inserts the trade (its row key comes from its idempotency key and its BodyHash is set).</summary>
    public async Task<AcceptOutcome> AcceptAsync(TradeEntity trade, CancellationToken ct)
    {
        var events = await publisher.PrepareAsync(trade.PartitionKey, trade.TakeEvents(), ct);
        try
        {
            trade.ETag = await WriteAsync(trade, TableTransactionActionType.Add, default, events, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await GetAsync(trade.PartitionKey, trade.RowKey, ct)
                ?? throw new InvalidOperationException("Table storage reported a conflict for a trade it does not have.", ex);
            return new KeyUsed(existing, existing.BodyHash == trade.BodyHash);
        }
        await publisher.DispatchAsync(Table, events, ct);
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
        var raised = trade.TakeEvents();
        var events = raised.Count == 0 ? [] : await publisher.PrepareAsync(trade.PartitionKey, raised, ct);
        try
        {
            trade.ETag = await WriteAsync(trade, TableTransactionActionType.UpdateReplace, etag, events, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
        await publisher.DispatchAsync(Table, events, ct);
        return true;
    }

    /// <summary>One entity alone is a plain write; with outbox rows, one entity-group transaction. Returns the row's new ETag.</summary>
    private async Task<ETag> WriteAsync(TradeEntity trade, TableTransactionActionType action, ETag etag, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        ETag? written;
        if (events.Count == 0)
        {
            var response = action == TableTransactionActionType.Add
                ? await Table.AddEntityAsync(trade, ct)
                : await Table.UpdateEntityAsync(trade, etag, TableUpdateMode.Replace, ct);
            written = response.Headers.ETag;
        }
        else
        {
            var result = await Table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(action, trade, etag),
                    .. events.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e.OutboxRow)),
                ], ct);
            written = result.Value[0].Headers.ETag;
        }
        return written ?? throw new InvalidOperationException("Table storage returned no ETag.");
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

    /// <summary>Every trade not yet in a terminal status. A filtered scan: only open trades come back.</summary>
    public IAsyncEnumerable<TradeEntity> QueryOpenAsync(CancellationToken ct) =>
        Table.QueryAsync<TradeEntity>(t => t.IsOpen == true, cancellationToken: ct);

    /// <summary>Stable hash of the parsed request, so the same order in other whitespace is still "the same body".</summary>
    public static string BodyHash(TradeRequest request) => Hash(JsonSerializer.Serialize(request, JsonBody.Options));

    internal static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>What trade.* and order.* webhook events carry.</summary>
public sealed record TradeEventData(string TradeId, string UserId, string Env, string Status, string ClientOrderId,
    string? AlpacaOrderId, string? FilledQty, string? FilledAvgPrice, string? Reason);

/// <summary>The trade row. History and order are JSON columns: read together, never queried.</summary>
public sealed class TradeEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Env { get; set; } = "";
    public string Status { get; set; } = "";
    public bool IsOpen { get; set; }
    public string OrderJson { get; set; } = "";
    public string ClientOrderId { get; set; } = "";
    public string? AlpacaOrderId { get; set; }
    public string? AlpacaStatus { get; set; }
    public string? FilledQty { get; set; }
    public string? FilledAvgPrice { get; set; }
    public DateTimeOffset? FilledAt { get; set; }
    public string? Reason { get; set; }
    public bool CancelRequested { get; set; }
    public string HistoryJson { get; set; } = "[]";

    /// <summary>Hash of the accepted request: a retry under the same idempotency key must match it.</summary>
    public string? BodyHash { get; set; }

    /// <summary>Who placed the trade ("agent:&lt;token id&gt;"); null when it came through the trade API.</summary>
    public string? Origin { get; set; }

    /// <summary>
    /// When the trade's queue message is next due (visible), while no order is recorded: set by the
    /// accept (at once, or after an inline run's hold), by each delayed re-queue (backoff, rate-limit
    /// reset) and by the sync's own re-queue. The sync re-queues only once this is
    /// <see cref="TradingOptions.StaleAcceptedAfter"/> past, so a message on its way is never doubled.
    /// </summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>
    /// Which chain of queue messages owns the trade: 0 from the accept, one more per sync re-queue.
    /// A message of another generation was superseded: its delivery stops, so a trade has one chain.
    /// </summary>
    public int Generation { get; set; }

    private readonly List<WebhookEvent> _events = [];

    /// <summary>The webhook events this entity's changes raised since the last write; the store writes them with it.</summary>
    public List<WebhookEvent> TakeEvents()
    {
        var events = _events.ToList();
        _events.Clear();
        return events;
    }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    [IgnoreDataMember]
    public string TradeId => TradeIds.Compose(PartitionKey, RowKey);

    /// <summary>
    /// The row as accepted. Deterministic from its inputs, so the executor can rebuild it from the
    /// queue message and replace it under the accept-time ETag without reading it first.
    /// </summary>
    public static TradeEntity Accepted(string userId, string rowKey, string env, TradeOrder order, DateTimeOffset at, string? bodyHash, string? origin = null) => new()
    {
        PartitionKey = userId,
        RowKey = rowKey,
        BodyHash = bodyHash,
        Origin = origin,
        Env = env,
        Status = TradeStatus.Accepted,
        IsOpen = true,
        OrderJson = JsonSerializer.Serialize(order, JsonBody.Options),
        ClientOrderId = TradeIds.ClientOrderId(rowKey),
        HistoryJson = JsonSerializer.Serialize(new[] { new TradeEvent(TradeStatus.Accepted, at) }, JsonBody.Options),
        CreatedAt = at,
        UpdatedAt = at,
    };

    [IgnoreDataMember]
    public AlpacaEnv AlpacaEnv => Env == "live" ? AlpacaEnv.Live : AlpacaEnv.Paper;

    [IgnoreDataMember]
    public TradeOrder Order => JsonSerializer.Deserialize<TradeOrder>(OrderJson, JsonBody.Options)!;

    [IgnoreDataMember]
    public List<TradeEvent> History => JsonSerializer.Deserialize<List<TradeEvent>>(HistoryJson, JsonBody.Options)!;

    /// <summary>Moves to <paramref name="status"/> and notes it in the history (only when something changed).</summary>
    public void Record(string status, DateTimeOffset at, string? detail = null)
    {
        var history = History;
        if (history.Count > 0 && history[^1].Status == status && history[^1].Detail == detail)
            return;
        history.Add(new TradeEvent(status, at, detail));
        HistoryJson = JsonSerializer.Serialize(history, JsonBody.Options);
        var changed = status != Status;
        Status = status;
        IsOpen = TradeStatus.IsOpen(status);
        UpdatedAt = at;
        if (detail is not null && status is TradeStatus.Rejected or TradeStatus.Failed or TradeStatus.Canceled or TradeStatus.Expired)
            Reason = detail;
        if (changed || status == TradeStatus.PartiallyFilled)
            Raise(status, at);
    }

    /// <summary>trade.accepted: raised once, by the API that accepts the trade (not by rebuilt copies of the row).</summary>
    public void RaiseAccepted() => Raise(TradeStatus.Accepted, CreatedAt);

    /// <summary>trade.* for our side of the lifecycle, order.* for what Alpaca did with the order.</summary>
    private void Raise(string status, DateTimeOffset at)
    {
        var type = status switch
        {
            TradeStatus.Accepted => WebhookEventTypes.TradeAccepted,
            TradeStatus.Submitted => WebhookEventTypes.TradeSubmitted,
            TradeStatus.Rejected => WebhookEventTypes.TradeRejected,
            TradeStatus.Failed => WebhookEventTypes.TradeFailed,
            TradeStatus.PartiallyFilled => WebhookEventTypes.OrderPartiallyFilled,
            TradeStatus.Filled => WebhookEventTypes.OrderFilled,
            TradeStatus.Canceled => WebhookEventTypes.OrderCanceled,
            TradeStatus.Expired => WebhookEventTypes.OrderExpired,
            _ => null,
        };
        if (type is not null)
            _events.Add(WebhookEvent.Create(type, at, new TradeEventData(TradeId, PartitionKey, Env, Status, ClientOrderId, AlpacaOrderId, FilledQty, FilledAvgPrice, Reason)));
    }

    /// <summary>Takes Alpaca's view of the order: id, status, fills.</summary>
    public void Apply(AlpacaOrder order, DateTimeOffset at)
    {
        var firstSight = AlpacaOrderId is null;
        AlpacaOrderId = order.Id;
        AlpacaStatus = order.Status;
        FilledQty = order.FilledQty;
        FilledAvgPrice = order.FilledAvgPrice;
        FilledAt = order.FilledAt;
        var status = TradeStatus.FromAlpaca(order);
        var detail = status switch
        {
            TradeStatus.PartiallyFilled or TradeStatus.Filled => $"filled {order.FilledQty} @ {order.FilledAvgPrice}",
            TradeStatus.Canceled when order.Status == "replaced" => "replaced at Alpaca",
            _ => null,
        };
        // An order that filled on arrival was still submitted first: say so, in the history and as an event.
        if (firstSight && status != TradeStatus.Submitted && status is not TradeStatus.Rejected)
            Record(TradeStatus.Submitted, at, $"alpaca order {order.Id}");
        Record(status, at, detail);
    }

    public Trade ToTrade() => new()
    {
        Id = TradeId,
        UserId = PartitionKey,
        Env = Env,
        Status = Status,
        Order = Order,
        ClientOrderId = ClientOrderId,
        AlpacaOrderId = AlpacaOrderId,
        AlpacaStatus = AlpacaStatus,
        FilledQty = FilledQty,
        FilledAvgPrice = FilledAvgPrice,
        FilledAt = FilledAt,
        Reason = Reason,
        CancelRequested = CancelRequested,
        Origin = Origin,
        History = History,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
    };
}
