namespace AlpacaConnect.Core.Events;

/// <summary>
/// Every event type the system raises, by name. A type's data only gains fields; a change that
/// would break a reader gets a new <see cref="DomainEvent.Version"/> (see there).
/// </summary>
public static class EventTypes
{
    public const string ConnectionConnected = "connection.connected";
    public const string ConnectionDisconnected = "connection.disconnected";
    public const string ConnectionRevoked = "connection.revoked";
    /// <summary>Alpaca granted a connect that was then refused (e.g. the account is another user's); nothing was stored.</summary>
    public const string ConnectionRefused = "connection.refused";
    public const string TradeAccepted = "trade.accepted";
    public const string TradeSubmitted = "trade.submitted";
    public const string TradeRejected = "trade.rejected";
    public const string TradeFailed = "trade.failed";
    public const string OrderPartiallyFilled = "order.partially_filled";
    public const string OrderFilled = "order.filled";
    public const string OrderCanceled = "order.canceled";
    public const string OrderExpired = "order.expired";
    /// <summary>An alert was recorded for a hook (not for a duplicate): <c>{signal_id, hook_id, ticker, action, status, received_at}</c>.</summary>
    public const string SignalReceived = "signal.received";
    /// <summary>A signal was refused, for the whole hook at intake (paused, stale, rate) or for one subscriber by a rule: <c>{signal_id, hook_id, user_id?, env?, reason}</c>.</summary>
    public const string SignalRefused = "signal.refused";
    /// <summary>A schedule's occurrence became a trade (data: schedule_id, occurrence_at, trade_id); the trade's own events follow.</summary>
    public const string ScheduleOccurrencePlaced = "schedule.occurrence.placed";
    /// <summary>A schedule's occurrence was not placed (data: reason, and count when it stands for several).</summary>
    public const string ScheduleOccurrenceSkipped = "schedule.occurrence.skipped";
    /// <summary>A schedule stopped firing until resumed (data: reason, e.g. connection_inactive, and detail).</summary>
    public const string SchedulePaused = "schedule.paused";
    /// <summary>Sent only by the "send a test event" endpoint.</summary>
    public const string Test = "webhook.test";

    /// <summary>What subscribers can ask for (the test event is sent to one subscription on request only).</summary>
    public static readonly IReadOnlyList<string> All =
    [
        ConnectionConnected, ConnectionDisconnected, ConnectionRevoked, ConnectionRefused,
        TradeAccepted, TradeSubmitted, TradeRejected, TradeFailed,
        OrderPartiallyFilled, OrderFilled, OrderCanceled, OrderExpired,
        SignalReceived, SignalRefused,
        ScheduleOccurrencePlaced, ScheduleOccurrenceSkipped, SchedulePaused,
    ];
}
