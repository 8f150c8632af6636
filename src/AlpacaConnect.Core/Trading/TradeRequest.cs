using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.Core.Trading;

/// <summary>POST /api/trades: whose account, which env, and the order in Alpaca's own fields.</summary>
public sealed record TradeRequest(string UserId, string Env, TradeOrder Order);

/// <summary>
/// The order as Alpaca names its fields. Sizes and prices may be sent as JSON strings (as Alpaca
/// does) or numbers (as chat bots do); they travel on as the exact text given.
/// </summary>
public sealed record TradeOrder
{
    public string? Symbol { get; init; }
    public string? Side { get; init; }
    public string? Type { get; init; }
    public string? TimeInForce { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? Qty { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? Notional { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? LimitPrice { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? StopPrice { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? TrailPrice { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? TrailPercent { get; init; }
    public bool? ExtendedHours { get; init; }
    public string? OrderClass { get; init; }
    public TradeTakeProfit? TakeProfit { get; init; }
    public TradeStopLoss? StopLoss { get; init; }
    public string? PositionIntent { get; init; }

    /// <summary>Accepted only to be refused clearly: the service derives it from the trade id.</summary>
    public string? ClientOrderId { get; init; }

    public AlpacaOrderRequest ToAlpaca(string clientOrderId) => new()
    {
        Symbol = Symbol!,
        Side = Side!,
        Type = Type!,
        TimeInForce = TimeInForce!,
        Qty = Qty,
        Notional = Notional,
        LimitPrice = LimitPrice,
        StopPrice = StopPrice,
        TrailPrice = TrailPrice,
        TrailPercent = TrailPercent,
        ExtendedHours = ExtendedHours,
        OrderClass = OrderClass,
        TakeProfit = TakeProfit is null ? null : new AlpacaTakeProfit { LimitPrice = TakeProfit.LimitPrice },
        StopLoss = StopLoss is null ? null : new AlpacaStopLoss { StopPrice = StopLoss.StopPrice, LimitPrice = StopLoss.LimitPrice },
        PositionIntent = PositionIntent,
        ClientOrderId = clientOrderId,
    };
}

public sealed record TradeTakeProfit
{
    [JsonConverter(typeof(DecimalTextConverter))] public string? LimitPrice { get; init; }
}

public sealed record TradeStopLoss
{
    [JsonConverter(typeof(DecimalTextConverter))] public string? StopPrice { get; init; }
    [JsonConverter(typeof(DecimalTextConverter))] public string? LimitPrice { get; init; }
}

/// <summary>A decimal given as a JSON number or string, kept as its invariant text; anything else is a type error.</summary>
public sealed class DecimalTextConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.String => reader.GetString()!,
            _ => throw new JsonException("Expected a decimal as a number or a string."),
        };
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value))
            throw new JsonException($"'{Truncate(text)}' is not a decimal number.");
        // Normalise "1.50" / 1.5 / "1.5e0" to one spelling, so the same order always hashes the same.
        return (value / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static string Truncate(string text) => text.Length <= 32 ? text : text[..32] + "...";
}
