using System.Runtime.Serialization;
using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Http;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Trading;

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
    /// <summary>Set as stored (by the table, or <see cref="Accepted"/>); status changes go through <see cref="Move"/>.</summary>
    public bool IsOpen
    {
        get => _isOpen;
        set => _isOpen = OpenAsStored = value;
    }
    private bool _isOpen;

    /// <summary>Whether the row as last read or written is open, so a write knows to add or drop the trade's index row.</summary>
    [IgnoreDataMember]
    public bool OpenAsStored { get; private set; }

    /// <summary>After a write: the row as stored is this entity.</summary>
    internal void MarkStored() => OpenAsStored = _isOpen;
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

    private readonly List<DomainEvent> _events = [];

    /// <summary>The webhook events this entity's changes raised since the last write; the store writes them with it.</summary>
    public List<DomainEvent> TakeEvents()
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
        // An order Alpaca ended stays ended: a late step of ours may add a note, never another status.
        if (!IsOpen && AlpacaOrderId is not null && status != Status)
            return;
        Move(status, at, detail);
    }

    private void Move(string status, DateTimeOffset at, string? detail)
    {
        var history = History;
        if (history.Count > 0 && history[^1].Status == status && history[^1].Detail == detail)
            return;
        history.Add(new TradeEvent(status, at, detail));
        HistoryJson = JsonSerializer.Serialize(history, JsonBody.Options);
        var changed = status != Status;
        Status = status;
        _isOpen = TradeStatus.IsOpen(status);
        UpdatedAt = at;
        if (detail is not null && status is TradeStatus.Rejected or TradeStatus.Failed or TradeStatus.Canceled or TradeStatus.Expired)
            Reason = detail;
        if (changed)
            Raise(status, at);
    }

    /// <summary>trade.accepted: raised once, by the API that accepts the trade (not by rebuilt copies of the row).</summary>
    public void RaiseAccepted() => Raise(TradeStatus.Accepted, CreatedAt);

    /// <summary>trade.* for our side of the lifecycle, order.* for what Alpaca did with the order.</summary>
    private void Raise(string status, DateTimeOffset at)
    {
        var type = status switch
        {
            TradeStatus.Accepted => EventTypes.TradeAccepted,
            TradeStatus.Submitted => EventTypes.TradeSubmitted,
            TradeStatus.Rejected => EventTypes.TradeRejected,
            TradeStatus.Failed => EventTypes.TradeFailed,
            TradeStatus.PartiallyFilled => EventTypes.OrderPartiallyFilled,
            TradeStatus.Filled => EventTypes.OrderFilled,
            TradeStatus.Canceled => EventTypes.OrderCanceled,
            TradeStatus.Expired => EventTypes.OrderExpired,
            _ => null,
        };
        if (type is not null)
            _events.Add(DomainEvent.Create(type, at, new TradeEventData(TradeId, PartitionKey, Env, Status, ClientOrderId, AlpacaOrderId, FilledQty, FilledAvgPrice, Reason)));
    }

    /// <summary>Takes Alpaca's view of the order: id, status, fills.</summary>
    public void Apply(AlpacaOrder order, DateTimeOffset at)
    {
        var firstSight = AlpacaOrderId is null;
        var status = TradeStatus.FromAlpaca(order);
        // Alpaca's view only moves a trade forward: an order Alpaca ended stays ended and fills only
        // grow, so a view behind the row (a stale read that lost a race with a newer one) changes nothing.
        if (!firstSight && IsBehind(order, status))
            return;
        var (before, newFill) = (Status, FilledAmount(order.FilledQty) > FilledAmount(FilledQty));
        AlpacaOrderId = order.Id;
        AlpacaStatus = order.Status;
        FilledQty = order.FilledQty;
        FilledAvgPrice = order.FilledAvgPrice;
        FilledAt = order.FilledAt;
        var detail = status switch
        {
            TradeStatus.PartiallyFilled or TradeStatus.Filled => $"filled {order.FilledQty} @ {order.FilledAvgPrice}",
            TradeStatus.Canceled when order.Status == "replaced" => "replaced at Alpaca",
            _ => null,
        };
        // An order that filled on arrival was still submitted first: say so, in the history and as an event.
        if (firstSight && status != TradeStatus.Submitted && status is not TradeStatus.Rejected)
            Move(TradeStatus.Submitted, at, $"alpaca order {order.Id}");
        // The same status and no new fill: nothing happened at Alpaca worth a line (e.g. new -> accepted).
        if (!firstSight && status == before && !newFill)
            return;
        Move(status, at, detail);
        // Each new fill of a partially filled order is an event; a note or the same fill seen again is not.
        if (status == TradeStatus.PartiallyFilled && before == TradeStatus.PartiallyFilled)
            Raise(status, at);
    }

    /// <summary>A view of the recorded order older than the row: the order closed, fewer fills, or working again after a fill.</summary>
    private bool IsBehind(AlpacaOrder order, string status) =>
        order.Id == AlpacaOrderId && (!IsOpen
            || FilledAmount(order.FilledQty) < FilledAmount(FilledQty)
            || (Status == TradeStatus.PartiallyFilled && status == TradeStatus.Submitted));

    private static decimal FilledAmount(string? qty) =>
        decimal.TryParse(qty, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;

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
