namespace AlpacaConnect.Core.Signals;

/// <summary>
/// Why a subscriber's signal placed nothing (or not everything): a stable code a client can branch
/// on, then a sentence for people (<see cref="SubscriberOutcome.Reason"/> is "code: sentence").
/// </summary>
public static class SignalReasons
{
    public const string HookPaused = "hook_paused";
    public const string ConnectionInactive = "connection_inactive";
    public const string SymbolNotAllowed = "symbol_not_allowed";
    public const string OutsideTradingWindow = "outside_trading_window";
    public const string ExtendedHoursNeedsLimit = "extended_hours_needs_limit";
    public const string UnsupportedAction = "unsupported_action";
    public const string NoPosition = "no_position";
    public const string OppositeIgnored = "opposite_ignored";
    public const string ShortingNotAllowed = "shorting_not_allowed";
    public const string QuantityMissing = "quantity_missing";
    public const string PriceUnknown = "price_unknown";
    public const string SizeZero = "size_zero";
    public const string MaxQty = "max_qty";
    public const string MaxNotional = "max_notional";
    public const string MaxPosition = "max_position";
    public const string InvalidOrder = "invalid_order";
    public const string FlattenPending = "flatten_pending";
    public const string NothingToCancel = "nothing_to_cancel";
    public const string AlpacaUnavailable = "alpaca_unavailable";
    public const string Error = "error";

    public static string Format(string code, string sentence) => $"{code}: {sentence}";

    /// <summary>The code of a reason ("max_qty: ..." -> "max_qty").</summary>
    public static string? CodeOf(string? reason) => reason is null ? null : reason.Split(':', 2)[0];
}
