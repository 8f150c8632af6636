using System.Text.Json.Serialization;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// The alert body as documented (TradersPost's camelCase vocabulary). The intake reads the JSON
/// itself (<see cref="AlertParser"/>): numbers may be strings, words any case, unknown fields are kept in the raw body only.
/// </summary>
public sealed record AlertBody
{
    [JsonPropertyName("ticker")] public required string Ticker { get; init; }
    /// <summary>buy, sell, exit, cancel, add.</summary>
    [JsonPropertyName("action")] public required string Action { get; init; }
    /// <summary>long, bullish, short, bearish, flat.</summary>
    [JsonPropertyName("sentiment")] public string? Sentiment { get; init; }
    [JsonPropertyName("quantity")] public decimal? Quantity { get; init; }
    /// <summary>fixed_quantity, dollar_amount, percent_of_equity.</summary>
    [JsonPropertyName("quantityType")] public string? QuantityType { get; init; }
    /// <summary>The signal price ({{close}}); signalPrice wins when both are given.</summary>
    [JsonPropertyName("price")] public decimal? Price { get; init; }
    [JsonPropertyName("signalPrice")] public decimal? SignalPrice { get; init; }
    /// <summary>market, limit, stop, stop_limit, trailing_stop.</summary>
    [JsonPropertyName("orderType")] public string? OrderType { get; init; }
    [JsonPropertyName("limitPrice")] public decimal? LimitPrice { get; init; }
    [JsonPropertyName("stopPrice")] public decimal? StopPrice { get; init; }
    [JsonPropertyName("takeProfit")] public AlertTakeProfit? TakeProfit { get; init; }
    [JsonPropertyName("stopLoss")] public AlertStopLoss? StopLoss { get; init; }
    /// <summary>day, gtc, opg, cls, ioc, fok.</summary>
    [JsonPropertyName("timeInForce")] public string? TimeInForce { get; init; }
    [JsonPropertyName("extendedHours")] public bool? ExtendedHours { get; init; }
    /// <summary>When the alert fired: ISO 8601 ({{timenow}}) or unix seconds/milliseconds.</summary>
    [JsonPropertyName("time")] public string? Time { get; init; }
    /// <summary>The alert's own id: a second alert with the same id is a duplicate.</summary>
    [JsonPropertyName("id")] public string? Id { get; init; }
    /// <summary>The hook's secret, for the URL without it (POST /api/signals/{hookId}).</summary>
    [JsonPropertyName("passphrase")] public string? Passphrase { get; init; }
}

/// <summary>Exactly one: a price, or a percent or amount above/below the signal price.</summary>
public sealed record AlertTakeProfit
{
    [JsonPropertyName("limitPrice")] public decimal? LimitPrice { get; init; }
    [JsonPropertyName("percent")] public decimal? Percent { get; init; }
    [JsonPropertyName("amount")] public decimal? Amount { get; init; }
}

public sealed record AlertStopLoss
{
    [JsonPropertyName("stopPrice")] public decimal? StopPrice { get; init; }
    [JsonPropertyName("percent")] public decimal? Percent { get; init; }
    [JsonPropertyName("amount")] public decimal? Amount { get; init; }
}
