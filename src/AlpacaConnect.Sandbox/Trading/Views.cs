using System.Globalization;
using AlpacaConnect.Sandbox.Http;

namespace AlpacaConnect.Sandbox.Trading;

// Wire shapes from trading-api.json; property names become snake_case through the JSON naming policy.

internal sealed record OrderView(
    string Id, string ClientOrderId, string CreatedAt, string UpdatedAt, string SubmittedAt,
    string? FilledAt, string? ExpiredAt, string? CanceledAt, string? FailedAt,
    string? ReplacedAt, string? ReplacedBy, string? Replaces,
    string AssetId, string Symbol, string AssetClass, string? Notional, string? Qty, string FilledQty, string? FilledAvgPrice,
    string OrderClass, string OrderType, string Type, string Side, string PositionIntent, string TimeInForce,
    string? LimitPrice, string? StopPrice, string Status, bool ExtendedHours, IReadOnlyList<OrderView>? Legs,
    string? TrailPercent, string? TrailPrice, string? Hwm, string ExpiresAt)
{
    public static OrderView From(SimOrder o, bool withLegs) => new(
        o.Id.ToString(), o.ClientOrderId, Wire.Ts(o.CreatedAt), Wire.Ts(o.UpdatedAt), Wire.Ts(o.CreatedAt),
        Wire.Ts(o.FilledAt), Wire.Ts(o.ExpiredAt), Wire.Ts(o.CanceledAt), null,
        Wire.Ts(o.ReplacedAt), o.ReplacedBy?.ToString(), o.Replaces?.ToString(),
        o.Asset.Id.ToString(), o.Asset.Symbol, "us_equity", Wire.Num(o.Notional), Wire.Num(o.Qty), Wire.Num(o.FilledQty),
        o.FilledAvgPrice is { } avg ? Wire.Num(Math.Round(avg, 4)) : null,
        o.OrderClass, o.Type, o.Type, o.Side, o.PositionIntent, o.TimeInForce,
        Wire.Num(o.LimitPrice), Wire.Num(o.StopPrice), o.Status, o.ExtendedHours,
        withLegs && o.Legs.Count > 0 ? o.Legs.Select(l => From(l, false)).ToList() : null,
        Wire.Num(o.TrailPercent), Wire.Num(o.TrailPrice), Wire.Num(o.Hwm), Wire.Ts(o.ExpiresAt));
}

internal sealed record AccountView(
    string Id, string AccountNumber, string Status, string CryptoStatus, string Currency,
    string Cash, string BuyingPower, string RegtBuyingPower, string DaytradingBuyingPower, string NonMarginableBuyingPower,
    string OptionsBuyingPower, string Equity, string LastEquity, string PortfolioValue,
    string LongMarketValue, string ShortMarketValue, string InitialMargin, string MaintenanceMargin,
    string LastMaintenanceMargin, string Sma, string AccruedFees, string PendingTransferIn, string PendingTransferOut,
    string IntradayAdjustments, string PendingRegTafFees, string Multiplier, bool PatternDayTrader, int DaytradeCount,
    bool TradingBlocked, bool TransfersBlocked, bool AccountBlocked, bool TradeSuspendedByUser, bool ShortingEnabled,
    int OptionsApprovedLevel, int OptionsTradingLevel, string BalanceAsof, string CreatedAt);

internal sealed record PositionView(
    string AssetId, string Symbol, string Exchange, string AssetClass, bool AssetMarginable,
    string Qty, string QtyAvailable, string Side, string AvgEntryPrice, string MarketValue, string CostBasis,
    string UnrealizedPl, string UnrealizedPlpc, string UnrealizedIntradayPl, string UnrealizedIntradayPlpc,
    string CurrentPrice, string LastdayPrice, string ChangeToday);

internal sealed record AssetView(
    string Id, string Class, string Exchange, string Symbol, string Name, string Status,
    bool Tradable, bool Marginable, bool Shortable, bool EasyToBorrow, bool Fractionable,
    string MarginRequirementLong, string MarginRequirementShort, IReadOnlyList<string> Attributes)
{
    public static AssetView From(Asset a) => new(
        a.Id.ToString(), "us_equity", a.Exchange, a.Symbol, a.Name, a.Status,
        a.Tradable, a.Marginable, a.Shortable, a.Shortable, a.Fractionable,
        a.Marginable ? "30" : "100", a.Shortable ? "100" : "100", []);
}

internal sealed record ClockView(string Timestamp, bool IsOpen, string NextOpen, string NextClose);

internal sealed record CalendarDayView(string Date, string Open, string Close, string SessionOpen, string SessionClose, string SettlementDate);

internal sealed record FillView(
    string Id, string ActivityType, string TransactionTime, string Type, string Price, string Qty, string Side,
    string Symbol, string LeavesQty, string OrderId, string CumQty, string OrderStatus)
{
    public static FillView From(FillRecord f) => new(
        f.Id, "FILL", Wire.Ts(f.At), f.Type, Wire.Num(f.Price), Wire.Num(f.Qty), f.Side,
        f.Symbol, Wire.Num(f.LeavesQty), f.OrderId.ToString(), Wire.Num(f.CumQty), f.OrderStatus);
}

/// <summary>Builds the valued views (account, positions) from state plus current simulated prices.</summary>
internal sealed class Portfolio(Broker broker, MarketPrices prices, TimeProvider time)
{
    public AccountView Account(AccountState a)
    {
        var longValue = a.Positions.Values.Sum(h => h.Qty * prices.Current(h.Asset));
        var lastValue = a.Positions.Values.Sum(h => h.Qty * prices.LastDay(h.Asset));
        var buyingPower = Wire.Money(broker.BuyingPower(a));
        var equity = Wire.Money(a.Cash + longValue);
        var asOf = DateOnly.FromDateTime(MarketClock.ToNewYork(MarketClock.PreviousClose(time.GetUtcNow())).DateTime);
        return new AccountView(
            a.Id.ToString(), a.AccountNumber, "ACTIVE", "ACTIVE", "USD",
            Wire.Money(a.Cash), buyingPower, buyingPower, "0", buyingPower,
            buyingPower, equity, Wire.Money(a.Cash + lastValue), equity,
            Wire.Money(longValue), "0", "0", "0",
            "0", "0", "0", "0", "0",
            "0", "0", "1", false, 0,
            false, false, false, false, broker.ShortingEnabled,
            0, 0, asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Wire.Ts(a.CreatedAt));
    }

    public PositionView Position(AccountState a, Holding h)
    {
        var price = prices.Current(h.Asset);
        var lastDay = prices.LastDay(h.Asset);
        var marketValue = h.Qty * price;
        var pl = marketValue - h.CostBasis;
        var intradayPl = h.Qty * (price - lastDay);
        return new PositionView(
            h.Asset.Id.ToString(), h.Asset.Symbol, h.Asset.Exchange, "us_equity", h.Asset.Marginable,
            Wire.Num(h.Qty), Wire.Num(h.Qty < 0 ? h.Qty : Math.Max(0, h.Qty - broker.HeldForSells(a, h.Asset))), h.Qty < 0 ? "short" : "long",
            Wire.Num(Math.Round(h.AvgEntryPrice, 4)), Wire.Money(marketValue), Wire.Money(h.CostBasis),
            Wire.Money(pl), Ratio(pl, h.CostBasis), Wire.Money(intradayPl), Ratio(intradayPl, h.Qty * lastDay),
            Wire.Num(price), Wire.Num(lastDay), Ratio(price - lastDay, lastDay));
    }

    private static string Ratio(decimal part, decimal whole) => whole == 0 ? "0" : Wire.Num(Math.Round(part / whole, 6));
}
