using System.Globalization;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// The orders a signal becomes, in Alpaca's fields: the entry (type, prices and time in force from
/// the alert; take-profit/stop-loss as a bracket) and the market order that closes a position.
/// </summary>
public static class SignalOrders
{
    /// <summary>Alpaca's ticks: whole cents at or above $1, hundredths of a cent below (sub-penny prices are refused).</summary>
    public static decimal ToTick(decimal price) => Math.Round(price, price >= 1m ? 2 : 4, MidpointRounding.AwayFromZero);

    public static string Text(decimal value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string TypeOf(SignalAlert alert) => alert.OrderType ?? "market";

    public static string TimeInForceOf(SignalAlert alert) => alert.TimeInForce ?? "day";

    /// <summary>The limit price: the alert's, or for a limit order without one, the signal price (as TradersPost does).</summary>
    public static decimal? LimitOf(SignalAlert alert) =>
        TypeOf(alert) is "limit" or "stop_limit" ? (alert.LimitPrice ?? alert.SignalPrice) is { } p ? ToTick(p) : null : null;

    public static decimal? StopOf(SignalAlert alert) =>
        TypeOf(alert) is "stop" or "stop_limit" && alert.StopPrice is { } p ? ToTick(p) : null;

    public static bool IsBracket(SignalAlert alert) => alert.TakeProfit is not null || alert.StopLoss is not null;

    /// <summary>A fractional qty or a notional is possible: Alpaca takes them on simple market day orders only.</summary>
    public static bool CanBeFractional(SignalAlert alert, bool extendedSession) =>
        TypeOf(alert) == "market" && TimeInForceOf(alert) == "day" && !IsBracket(alert) && !extendedSession;

    /// <summary>The price a take-profit or stop-loss offset counts from: the limit of a limit entry, else the alert's price, else <paramref name="fallback"/>.</summary>
    public static decimal? BasePrice(SignalAlert alert, decimal? fallback) =>
        (TypeOf(alert) == "limit" ? LimitOf(alert) : null) ?? alert.SignalPrice ?? fallback;

    /// <summary>
    /// A take-profit (above a long's base, below a short's) or stop-loss (the other side) price:
    /// absolute, or a percent or an amount away from <paramref name="basePrice"/>, on a valid tick.
    /// Null when it is an offset and there is no base price.
    /// </summary>
    public static decimal? Target(PriceOffset offset, decimal? basePrice, bool isLong, bool isTakeProfit)
    {
        if (offset.Price is { } price)
            return ToTick(price);
        if (basePrice is not { } b)
            return null;
        var distance = offset.Percent is { } percent ? b * percent / 100m : offset.Amount ?? 0m;
        var up = isLong == isTakeProfit;
        return ToTick(up ? b + distance : b - distance);
    }

    /// <summary>The entry order, or the refusal ("code: sentence").</summary>
    public static (TradeOrder? Order, string? Refusal) Entry(SignalAlert alert, string symbol, bool isLong, OrderSize size, decimal? knownPrice, bool extendedSession)
    {
        var type = TypeOf(alert);
        if (extendedSession && type != "limit")
            return (null, SignalReasons.Format(SignalReasons.ExtendedHoursNeedsLimit, "outside the regular session Alpaca takes only limit orders (with extended_hours); the alert's order is " + type + "."));
        string? orderClass = null;
        TradeTakeProfit? takeProfit = null;
        TradeStopLoss? stopLoss = null;
        if (IsBracket(alert))
        {
            var basePrice = BasePrice(alert, knownPrice);
            decimal? tp = alert.TakeProfit is { } t ? Target(t, basePrice, isLong, isTakeProfit: true) : null;
            decimal? sl = alert.StopLoss is { } s ? Target(s, basePrice, isLong, isTakeProfit: false) : null;
            if ((alert.TakeProfit is not null && tp is null) || (alert.StopLoss is not null && sl is null))
                return (null, SignalReasons.Format(SignalReasons.PriceUnknown, "takeProfit/stopLoss are offsets from the signal price, and the alert gave no price."));
            orderClass = tp is not null && sl is not null ? "bracket" : "oto";
            takeProfit = tp is { } tpv ? new TradeTakeProfit { LimitPrice = Text(tpv) } : null;
            stopLoss = sl is { } slv ? new TradeStopLoss { StopPrice = Text(slv) } : null;
        }
        return (new TradeOrder
        {
            Symbol = symbol,
            Side = isLong ? "buy" : "sell",
            Type = type,
            TimeInForce = TimeInForceOf(alert),
            Qty = size.QtyText,
            Notional = size.NotionalText,
            LimitPrice = LimitOf(alert) is { } limit ? Text(limit) : null,
            StopPrice = StopOf(alert) is { } stop ? Text(stop) : null,
            ExtendedHours = extendedSession ? true : alert.ExtendedHours,
            OrderClass = orderClass,
            TakeProfit = takeProfit,
            StopLoss = stopLoss,
        }, null);
    }

    /// <summary>The market order that closes the whole position (a long is sold, a short bought back).</summary>
    public static TradeOrder Close(string symbol, decimal signedQty) => new()
    {
        Symbol = symbol,
        Side = signedQty > 0 ? "sell" : "buy",
        Type = "market",
        TimeInForce = "day",
        Qty = Math.Abs(signedQty).ToString("0.#########", CultureInfo.InvariantCulture),
    };

    /// <summary>A position's shares with their side: negative for a short (Alpaca sends a short's qty negative, with side short).</summary>
    public static decimal SignedQty(AlpacaPosition? position)
    {
        if (position is null || !decimal.TryParse(position.Qty, NumberStyles.Number, CultureInfo.InvariantCulture, out var qty))
            return 0;
        return position.Side == "short" ? -Math.Abs(qty) : qty;
    }

    public static decimal? CurrentPrice(AlpacaPosition? position) =>
        position is not null && decimal.TryParse(position.CurrentPrice, NumberStyles.Number, CultureInfo.InvariantCulture, out var price) && price > 0 ? price : null;
}
