using System.Globalization;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Alpaca's order rules (ALPACA.md, trading-api.json) checked at our edge, so a bad order is refused
/// with every problem listed before anything is stored or queued, instead of failing later in the queue.
/// </summary>
public static partial class TradeValidator
{
    public const decimal MaxPrice = 1_000_000m;
    public const decimal MaxQty = 10_000_000m;
    public const decimal MaxNotional = 10_000_000m;

    private static readonly string[] Sides = ["buy", "sell"];
    private static readonly string[] Types = ["market", "limit", "stop", "stop_limit", "trailing_stop"];
    private static readonly string[] TimesInForce = ["day", "gtc", "opg", "cls", "ioc", "fok"];
    private static readonly string[] OrderClasses = ["simple", "bracket", "oco", "oto"];
    private static readonly string[] PositionIntents = ["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"];

    /// <summary>Every problem with the request, keyed by the JSON path of the field (e.g. "order.qty").</summary>
    public static Dictionary<string, string[]> Validate(TradeRequest request)
    {
        var errors = new Errors();
        ValidateOrder(request.Order, errors);
        var result = errors.ToDictionary();
        UserIds.Check(request.UserId, request.Env, result);
        return result;
    }

    private static void ValidateOrder(TradeOrder o, Errors errors)
    {
        if (string.IsNullOrEmpty(o.Symbol))
            errors.Add("order.symbol", "Required.");
        else if (!Symbol().IsMatch(o.Symbol))
            errors.Add("order.symbol", "Must be an uppercase ticker such as AAPL or BRK.B.");
        OneOf(errors, "order.side", o.Side, Sides);
        OneOf(errors, "order.type", o.Type, Types);
        OneOf(errors, "order.time_in_force", o.TimeInForce, TimesInForce);
        var orderClass = o.OrderClass ?? "simple";
        OneOf(errors, "order.order_class", orderClass, OrderClasses);
        if (o.PositionIntent is not null)
            OneOf(errors, "order.position_intent", o.PositionIntent, PositionIntents);
        if (o.ClientOrderId is not null)
            errors.Add("order.client_order_id", "Leave it out: the service sets client_order_id from the trade id, which is what makes retries safe.");

        var qty = Amount(errors, "order.qty", o.Qty, MaxQty, maxDecimals: 9);
        var notional = Amount(errors, "order.notional", o.Notional, MaxNotional, maxDecimals: 2);
        var limit = Price(errors, "order.limit_price", o.LimitPrice);
        Price(errors, "order.stop_price", o.StopPrice);
        Price(errors, "order.trail_price", o.TrailPrice);
        Amount(errors, "order.trail_percent", o.TrailPercent, 100m, maxDecimals: 4);
        var isMarketDay = o.Type == "market" && o.TimeInForce == "day";

        // Sizing: qty or notional, never both; notional and fractional qty only for market/day.
        if (o.Qty is null && o.Notional is null)
            errors.Add("order.qty", "Give qty or notional.");
        if (o.Qty is not null && o.Notional is not null)
            errors.Add("order.notional", "Give qty or notional, not both.");
        if (o.Notional is not null && !isMarketDay)
            errors.Add("order.notional", "Notional orders must be type market with time_in_force day.");
        if (qty is { } q && q != decimal.Truncate(q) && !isMarketDay)
            errors.Add("order.qty", "Fractional qty is only allowed for market orders with time_in_force day.");

        // Prices each order type needs, and only those. An oco order is the take-profit limit order
        // itself: its limit price is take_profit.limit_price (checked with the class below).
        var needsLimit = o.Type is "limit" or "stop_limit";
        var needsStop = o.Type is "stop" or "stop_limit";
        if (needsLimit && o.LimitPrice is null && orderClass != "oco")
            errors.Add("order.limit_price", $"Required for {o.Type} orders.");
        if (!needsLimit && o.LimitPrice is not null && Types.Contains(o.Type))
            errors.Add("order.limit_price", $"Not allowed for {o.Type} orders.");
        if (needsStop && o.StopPrice is null)
            errors.Add("order.stop_price", $"Required for {o.Type} orders.");
        if (!needsStop && o.StopPrice is not null && Types.Contains(o.Type))
            errors.Add("order.stop_price", $"Not allowed for {o.Type} orders.");
        if (o.Type == "trailing_stop")
        {
            if ((o.TrailPrice is null) == (o.TrailPercent is null))
                errors.Add("order.trail_price", "Trailing stop orders need exactly one of trail_price or trail_percent.");
        }
        else if (o.TrailPrice is not null || o.TrailPercent is not null)
        {
            errors.Add(o.TrailPrice is not null ? "order.trail_price" : "order.trail_percent", "Only for trailing_stop orders.");
        }

        if (o.ExtendedHours == true && !(o.Type == "limit" && o.TimeInForce is "day" or "gtc"))
            errors.Add("order.extended_hours", "Extended hours orders must be type limit with time_in_force day or gtc.");

        ValidateClass(o, orderClass, limit, errors);
    }

    private static void ValidateClass(TradeOrder o, string orderClass, decimal? limit, Errors errors)
    {
        var takeProfit = Price(errors, "order.take_profit.limit_price", o.TakeProfit?.LimitPrice);
        var stopLoss = Price(errors, "order.stop_loss.stop_price", o.StopLoss?.StopPrice);
        var stopLossLimit = Price(errors, "order.stop_loss.limit_price", o.StopLoss?.LimitPrice);

        switch (orderClass)
        {
            case "simple":
                if (o.TakeProfit is not null || o.StopLoss is not null)
                    errors.Add("order.order_class", "take_profit and stop_loss need order_class bracket, oco or oto.");
                return;
            case "bracket":
                if (o.Type is not ("market" or "limit"))
                    errors.Add("order.type", "Bracket orders must be market or limit entry orders (no stop or trailing_stop).");
                if (o.TakeProfit?.LimitPrice is null)
                    errors.Add("order.take_profit.limit_price", "Required for bracket orders.");
                if (o.StopLoss?.StopPrice is null)
                    errors.Add("order.stop_loss.stop_price", "Required for bracket orders.");
                break;
            case "oco":
                if (o.Type != "limit")
                    errors.Add("order.type", "OCO orders must be type limit (the take-profit leg).");
                if (o.TakeProfit?.LimitPrice is null)
                    errors.Add("order.take_profit.limit_price", "Required for oco orders.");
                if (o.StopLoss?.StopPrice is null)
                    errors.Add("order.stop_loss.stop_price", "Required for oco orders.");
                if (limit is { } given && takeProfit is { } profit && given != profit)
                    errors.Add("order.limit_price", "An oco order's limit price is take_profit.limit_price; leave limit_price out (or give the same price).");
                break;
            case "oto":
                if (o.Type is not ("market" or "limit" or "stop" or "stop_limit"))
                    errors.Add("order.type", "OTO orders must be market, limit, stop or stop_limit.");
                if ((o.TakeProfit is null) == (o.StopLoss is null))
                    errors.Add("order.order_class", "OTO orders need exactly one of take_profit or stop_loss.");
                break;
            default:
                return;
        }

        if (o.TimeInForce is not ("day" or "gtc") && TimesInForce.Contains(o.TimeInForce))
            errors.Add("order.time_in_force", $"{orderClass} orders must be day or gtc.");
        if (o.Notional is not null)
            errors.Add("order.notional", $"{orderClass} orders are sized by whole-share qty.");
        if (o.Qty is not null && decimal.TryParse(o.Qty, CultureInfo.InvariantCulture, out var q) && q != decimal.Truncate(q))
            errors.Add("order.qty", $"{orderClass} orders need a whole number of shares.");

        // The exits must sit on the right sides. They sell when the entry of a bracket or oto buys, and
        // an oco order is the exit itself (its side is the exit's side): selling exits take profit
        // above the stop, buying exits (closing a short) below it.
        if (o.Side is not ("buy" or "sell"))
            return;
        var exitsSell = orderClass == "oco" ? o.Side == "sell" : o.Side == "buy";
        var exits = $"{(orderClass == "bracket" ? "a" : "an")} {orderClass} {o.Side}";
        if (takeProfit is { } tp && stopLoss is { } sl)
        {
            if (exitsSell ? tp <= sl : tp >= sl)
                errors.Add("order.take_profit.limit_price", exitsSell
                    ? $"For {exits}, take_profit.limit_price must be above stop_loss.stop_price."
                    : $"For {exits}, take_profit.limit_price must be below stop_loss.stop_price.");
            else if (orderClass == "bracket" && limit is { } entry && (exitsSell ? entry >= tp || entry <= sl : entry <= tp || entry >= sl))
                errors.Add("order.limit_price", "The entry limit_price must lie between stop_loss.stop_price and take_profit.limit_price.");
        }
        // A stop-limit exit's limit lies beyond its stop, or it may never fill once triggered.
        if (stopLoss is { } stop && stopLossLimit is { } stopLimit && (exitsSell ? stopLimit > stop : stopLimit < stop))
            errors.Add("order.stop_loss.limit_price", exitsSell
                ? $"For {exits}, stop_loss.limit_price must be at or below stop_loss.stop_price."
                : $"For {exits}, stop_loss.limit_price must be at or above stop_loss.stop_price.");
    }

    private static void OneOf(Errors errors, string field, string? value, string[] allowed)
    {
        if (value is null)
            errors.Add(field, $"Required: one of {string.Join(", ", allowed)}.");
        else if (!allowed.Contains(value, StringComparer.Ordinal))
            errors.Add(field, $"'{Shorten(value)}' is not one of {string.Join(", ", allowed)}.");
    }

    private static decimal? Amount(Errors errors, string field, string? text, decimal max, int maxDecimals)
    {
        if (text is null)
            return null;
        // Judged by value: trailing zeros ("100.000") are no extra precision, though the text keeps them.
        var value = Normalized(decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        if (value <= 0)
            errors.Add(field, "Must be greater than zero.");
        else if (value > max)
            errors.Add(field, $"{value} is implausibly large (the limit is {max}).");
        else if (value.Scale > maxDecimals)
            errors.Add(field, $"At most {maxDecimals} decimal places.");
        return value;
    }

    /// <summary>Alpaca's sub-penny rule: prices of $1 and more take 2 decimals, under $1 take 4.</summary>
    private static decimal? Price(Errors errors, string field, string? text)
    {
        var value = Amount(errors, field, text, MaxPrice, maxDecimals: 4);
        if (value is >= 1m && value.Value.Scale > 2)
            errors.Add(field, "Prices of $1 or more take at most 2 decimal places.");
        return value;
    }

    /// <summary>The same value without trailing zeros (1.50 -> 1.5), so its Scale counts significant decimals.</summary>
    private static decimal Normalized(decimal value) => value / 1.0000000000000000000000000000m;

    private static string Shorten(string value) => value.Length <= 24 ? value : value[..24] + "...";

    [GeneratedRegex("^[A-Z][A-Z0-9]{0,9}([./][A-Z0-9]{1,5})?$")]
    private static partial Regex Symbol();

    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list))
                _errors[field] = list = [];
            list.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
