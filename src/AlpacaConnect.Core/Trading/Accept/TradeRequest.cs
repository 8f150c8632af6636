using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.Core.Trading;

/// <summary>POST /api/trades: whose account, which env, and the order in Alpaca's own fields.</summary>
public sealed record TradeRequest(string UserId, string Env, TradeOrder Order);

/// <summary>
/// The order as Alpaca names its fields. Sizes and prices may be sent as JSON strings (as Alpaca
/// does) or numbers (as chat bots do); they travel on as the exact text given (see
/// <see cref="DecimalTextConverter"/>), and the validator judges their value.
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

/// <summary>
/// A decimal given as a JSON number or string, kept as the exact text given ("1.0" stays "1.0"), so
/// Alpaca receives what the caller sent. Only plain decimal notation is taken (digits, an optional
/// fraction, an optional minus): it is what Alpaca's strings carry, and an exponent ("1e2") could
/// not travel on as given. Anything else is a type error.
/// </summary>
public sealed partial class DecimalTextConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.String => reader.GetString()!,
            _ => throw new JsonException("Expected a decimal as a number or a string."),
        };
        if (!PlainDecimal().IsMatch(text) || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new JsonException($"'{Truncate(text)}' is not a decimal number in plain notation (such as 1, 0.5 or 187.25).");
        return text;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static string Truncate(string text) => text.Length <= 32 ? text : text[..32] + "...";

    [GeneratedRegex("^-?[0-9]+(\\.[0-9]+)?$")]
    private static partial Regex PlainDecimal();
}
