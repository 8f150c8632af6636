namespace AlpacaConnect.Core.Signals;

// The shared vocabulary of signals: what a hook is, who follows it, what an alert said, and what
// became of it per follower. Hooks/intake (storage, the alert endpoint, dedupe, the signal log)
// produce these; the fan-out (rules, sizing, the trades) consumes them.

/// <summary>An alert hook: one URL a strategy posts to, its rules, and who follows it.</summary>
public sealed record SignalHook
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required SignalRules Rules { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Checked per subscriber before any order is placed; a refusal is recorded with its reason.</summary>
public sealed record SignalRules
{
    /// <summary>Null: every symbol.</summary>
    public IReadOnlyList<string>? AllowedSymbols { get; init; }
    public decimal? MaxQty { get; init; }
    public decimal? MaxNotional { get; init; }
    /// <summary>The largest position (shares, either side) a subscriber may hold in one symbol after the order.</summary>
    public decimal? MaxPosition { get; init; }
    public TradingWindow Window { get; init; } = TradingWindow.Regular;
    public bool AllowShort { get; init; }
    /// <summary>Alerts whose <c>time</c> is older than this are refused.</summary>
    public int? MaxSignalAgeSeconds { get; init; }
    public int? MaxSignalsPerMinute { get; init; }
    /// <summary>The kill switch: alerts are recorded and refused, nothing is placed.</summary>
    public bool Paused { get; init; }
    public string OnOpposite { get; init; } = OppositeSignal.FlattenThenEnter;
}

/// <summary>When orders may be placed: Alpaca's regular session (from its clock), extended hours, or a local window.</summary>
public sealed record TradingWindow
{
    public const string RegularHours = "regular";
    public const string ExtendedHours = "extended";
    public const string Custom = "custom";

    public static readonly TradingWindow Regular = new() { Kind = RegularHours };

    public required string Kind { get; init; }
    /// <summary>IANA name; only for <see cref="Custom"/>.</summary>
    public string? TimeZone { get; init; }
    public TimeOnly? Start { get; init; }
    public TimeOnly? End { get; init; }
    /// <summary>Null: Monday to Friday.</summary>
    public IReadOnlyList<DayOfWeek>? Days { get; init; }
}

/// <summary>What a signal against the subscriber's current position does.</summary>
public static class OppositeSignal
{
    public const string FlattenThenEnter = "flatten_then_enter";
    public const string FlattenOnly = "flatten_only";
    public const string Ignore = "ignore";
}

/// <summary>One connection following a hook, and how its orders are sized.</summary>
public sealed record SignalSubscriber
{
    public required string HookId { get; init; }
    public required string UserId { get; init; }
    public required string Env { get; init; }
    public required SubscriberSizing Sizing { get; init; }
    public bool Enabled { get; init; } = true;
}

public sealed record SubscriberSizing
{
    public const string FixedQuantity = "fixed_quantity";
    public const string FixedNotional = "dollar_amount";
    public const string PercentOfEquity = "percent_of_equity";
    /// <summary>The alert's own quantity times <see cref="Value"/>.</summary>
    public const string Multiplier = "multiplier";

    public required string Kind { get; init; }
    public required decimal Value { get; init; }
    /// <summary>Whole shares unless this is set (sizes round down).</summary>
    public bool AllowFractional { get; init; }
}

/// <summary>An alert as received, in TradersPost's vocabulary, after parsing (words lower-cased).</summary>
public sealed record SignalAlert
{
    public required string Ticker { get; init; }
    /// <summary>buy, sell, exit, cancel, add.</summary>
    public required string Action { get; init; }
    /// <summary>long, bullish, short, bearish, flat; null when not given.</summary>
    public string? Sentiment { get; init; }
    public decimal? Quantity { get; init; }
    /// <summary>fixed_quantity, dollar_amount, percent_of_equity; null when not given.</summary>
    public string? QuantityType { get; init; }
    public decimal? SignalPrice { get; init; }
    public string? OrderType { get; init; }
    public decimal? LimitPrice { get; init; }
    public decimal? StopPrice { get; init; }
    public PriceOffset? TakeProfit { get; init; }
    public PriceOffset? StopLoss { get; init; }
    public string? TimeInForce { get; init; }
    public bool? ExtendedHours { get; init; }
    /// <summary>When the alert fired (its <c>time</c>), if it said.</summary>
    public DateTimeOffset? Time { get; init; }
    /// <summary>The alert's own id, for dedupe.</summary>
    public string? Id { get; init; }
}

/// <summary>A take-profit or stop-loss: an absolute price, or a percent or amount away from the signal price.</summary>
public sealed record PriceOffset
{
    public decimal? Price { get; init; }
    public decimal? Percent { get; init; }
    public decimal? Amount { get; init; }
}

/// <summary>A recorded alert, as the fan-out receives it.</summary>
public sealed record RecordedSignal
{
    public required string Id { get; init; }
    public required string HookId { get; init; }
    public required SignalAlert Alert { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>What one signal did for one subscriber.</summary>
public sealed record SubscriberOutcome
{
    public const string Placed = "placed";
    public const string Refused = "refused";
    public const string Failed = "failed";

    public required string UserId { get; init; }
    public required string Env { get; init; }
    public required string Status { get; init; }
    /// <summary>The trades placed for it (an exit or a reversal can place more than one), in order.</summary>
    public IReadOnlyList<string> TradeIds { get; init; } = [];
    /// <summary>Orders canceled at Alpaca (exit, cancel, flatten), by Alpaca order id.</summary>
    public IReadOnlyList<string> CanceledOrderIds { get; init; } = [];
    /// <summary>Why nothing (or not everything) was placed; a stable code such as "symbol_not_allowed" then a sentence.</summary>
    public string? Reason { get; init; }
}
