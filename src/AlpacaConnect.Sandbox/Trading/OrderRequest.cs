using System.Globalization;
using System.Text.Json;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>POST /v2/orders body after parsing. Numbers may arrive as JSON strings or numbers, as Alpaca accepts both.</summary>
internal sealed record OrderRequest
{
    public string? Symbol { get; init; }

    public decimal? Qty { get; init; }

    public decimal? Notional { get; init; }

    public string? Side { get; init; }

    public string? Type { get; init; }

    public string? TimeInForce { get; init; }

    public decimal? LimitPrice { get; init; }

    public decimal? StopPrice { get; init; }

    public decimal? TrailPrice { get; init; }

    public decimal? TrailPercent { get; init; }

    /// <summary>PATCH only: the new trail_price or trail_percent, whichever the order uses.</summary>
    public decimal? Trail { get; init; }

    public bool ExtendedHours { get; init; }

    public string? ClientOrderId { get; init; }

    public string? OrderClass { get; init; }

    public decimal? TakeProfitLimitPrice { get; init; }

    public decimal? StopLossStopPrice { get; init; }

    public decimal? StopLossLimitPrice { get; init; }

    public string? PositionIntent { get; init; }

    /// <summary>Parses the JSON body; returns an error message for shapes Alpaca would not accept.</summary>
    public static OrderRequest? Parse(JsonElement body, out string? error)
    {
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "request body format is invalid";
            return null;
        }

        try
        {
            var takeProfit = Child(body, "take_profit");
            var stopLoss = Child(body, "stop_loss");
            return new OrderRequest
            {
                Symbol = Text(body, "symbol"),
                Qty = Number(body, "qty"),
                Notional = Number(body, "notional"),
                Side = Text(body, "side"),
                Type = Text(body, "type"),
                TimeInForce = Text(body, "time_in_force"),
                LimitPrice = Number(body, "limit_price"),
                StopPrice = Number(body, "stop_price"),
                TrailPrice = Number(body, "trail_price"),
                TrailPercent = Number(body, "trail_percent"),
                Trail = Number(body, "trail"),
                ExtendedHours = Flag(body, "extended_hours"),
                ClientOrderId = Text(body, "client_order_id"),
                OrderClass = Text(body, "order_class"),
                TakeProfitLimitPrice = takeProfit is { } tp ? Number(tp, "limit_price") : null,
                StopLossStopPrice = stopLoss is { } sl ? Number(sl, "stop_price") : null,
                StopLossLimitPrice = stopLoss is { } sl2 ? Number(sl2, "limit_price") : null,
                PositionIntent = Text(body, "position_intent"),
            };
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static JsonElement? Child(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Text(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new FormatException($"invalid {name}");
    }

    private static bool Flag(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new FormatException($"invalid {name}"),
        };
    }

    private static decimal? Number(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var n))
        {
            return n;
        }

        if (v.ValueKind == JsonValueKind.String &&
            decimal.TryParse(v.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s))
        {
            return s;
        }

        throw new FormatException($"invalid {name}");
    }
}
