namespace AlpacaConnect.Core.Alpaca;

// Alpaca's Trading API shapes (trading-api.json). Money and quantities are strings, as Alpaca sends
// them, so nothing is rounded on the way through.

/// <summary>POST /v2/orders body.</summary>
public sealed record AlpacaOrderRequest
{
    public required string Symbol { get; init; }
    public string? Qty { get; init; }
    public string? Notional { get; init; }
    public required string Side { get; init; }
    public required string Type { get; init; }
    public required string TimeInForce { get; init; }
    public string? LimitPrice { get; init; }
    public string? StopPrice { get; init; }
    public string? TrailPrice { get; init; }
    public string? TrailPercent { get; init; }
    public bool? ExtendedHours { get; init; }
    public string? ClientOrderId { get; init; }
    public string? OrderClass { get; init; }
    public AlpacaTakeProfit? TakeProfit { get; init; }
    public AlpacaStopLoss? StopLoss { get; init; }
    public string? PositionIntent { get; init; }
}

public sealed record AlpacaTakeProfit
{
    public string? LimitPrice { get; init; }
}

public sealed record AlpacaStopLoss
{
    public string? StopPrice { get; init; }
    public string? LimitPrice { get; init; }
}

/// <summary>An order as Alpaca reports it.</summary>
public sealed record AlpacaOrder
{
    public required string Id { get; init; }
    public string? ClientOrderId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public DateTimeOffset? SubmittedAt { get; init; }
    public DateTimeOffset? FilledAt { get; init; }
    public DateTimeOffset? ExpiredAt { get; init; }
    public DateTimeOffset? CanceledAt { get; init; }
    public DateTimeOffset? FailedAt { get; init; }
    public string? AssetId { get; init; }
    public string? Symbol { get; init; }
    public string? AssetClass { get; init; }
    public string? Notional { get; init; }
    public string? Qty { get; init; }
    public string? FilledQty { get; init; }
    public string? FilledAvgPrice { get; init; }
    public string? OrderClass { get; init; }
    public string? Type { get; init; }
    public string? Side { get; init; }
    public string? TimeInForce { get; init; }
    public string? LimitPrice { get; init; }
    public string? StopPrice { get; init; }
    public required string Status { get; init; }
    public bool? ExtendedHours { get; init; }
    public IReadOnlyList<AlpacaOrder>? Legs { get; init; }
    public string? TrailPercent { get; init; }
    public string? TrailPrice { get; init; }
    public string? Hwm { get; init; }
    public string? PositionIntent { get; init; }
}

public sealed record AlpacaPosition
{
    public required string Symbol { get; init; }
    public string? AssetId { get; init; }
    public string? Exchange { get; init; }
    public string? AssetClass { get; init; }
    public string? Qty { get; init; }
    public string? QtyAvailable { get; init; }
    public string? Side { get; init; }
    public string? AvgEntryPrice { get; init; }
    public string? MarketValue { get; init; }
    public string? CostBasis { get; init; }
    public string? UnrealizedPl { get; init; }
    public string? UnrealizedPlpc { get; init; }
    public string? CurrentPrice { get; init; }
    public string? LastdayPrice { get; init; }
    public string? ChangeToday { get; init; }
}

/// <summary>
/// One trading day of GET /v2/calendar: the regular session's open and close (HH:MM, New York time),
/// the extended session (HHMM) and the settlement date. Days without a session are not listed.
/// </summary>
public sealed record AlpacaCalendarDay
{
    public DateOnly Date { get; init; }
    public string Open { get; init; } = "";
    public string Close { get; init; } = "";
    public string? SessionOpen { get; init; }
    public string? SessionClose { get; init; }
    public DateOnly? SettlementDate { get; init; }

    /// <summary>The regular session's open as an instant (the calendar's times are New York's).</summary>
    public DateTimeOffset OpenAt(TimeZoneInfo newYork) => At(Open, newYork);

    public DateTimeOffset CloseAt(TimeZoneInfo newYork) => At(Close, newYork);

    private DateTimeOffset At(string hhmm, TimeZoneInfo newYork)
    {
        var local = Date.ToDateTime(TimeOnly.ParseExact(hhmm, "HH:mm", System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Unspecified);
        return new DateTimeOffset(local, newYork.GetUtcOffset(local));
    }
}

public sealed record AlpacaClock
{
    public DateTimeOffset Timestamp { get; init; }
    public bool IsOpen { get; init; }
    public DateTimeOffset NextOpen { get; init; }
    public DateTimeOffset NextClose { get; init; }
}

public sealed record AlpacaAsset
{
    public required string Id { get; init; }
    public required string Symbol { get; init; }
    public string? Class { get; init; }
    public string? Exchange { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public bool Tradable { get; init; }
    public bool Marginable { get; init; }
    public bool Shortable { get; init; }
    public bool EasyToBorrow { get; init; }
    public bool Fractionable { get; init; }
}

/// <summary>GET /v2/orders filters.</summary>
public sealed record AlpacaOrderQuery
{
    public string Status { get; init; } = "open";
    public int Limit { get; init; } = 50;
    public DateTimeOffset? After { get; init; }
    public DateTimeOffset? Until { get; init; }
    public string Direction { get; init; } = "desc";
    public bool Nested { get; init; }
    public IReadOnlyList<string>? Symbols { get; init; }
}

public static class AlpacaOrderStatuses
{
    /// <summary>Statuses after which the order will not change again (done_for_day resumes next session).</summary>
    public static bool IsTerminal(string status) => status is "filled" or "canceled" or "expired" or "rejected" or "replaced";
}
