namespace AlpacaConnect.Core.Alpaca;

/// <summary>GET /v2/account, the fields the product shows or decides on. Money is a string, as Alpaca sends it.</summary>
public sealed record AlpacaAccount
{
    public required string Id { get; init; }
    public required string AccountNumber { get; init; }
    public required string Status { get; init; }
    public string? Currency { get; init; }
    public string? Cash { get; init; }
    public string? BuyingPower { get; init; }
    public string? Equity { get; init; }
    public string? LastEquity { get; init; }
    public string? PortfolioValue { get; init; }
    public string? LongMarketValue { get; init; }
    public string? ShortMarketValue { get; init; }
    public bool? PatternDayTrader { get; init; }
    public int? DaytradeCount { get; init; }
    public bool? TradingBlocked { get; init; }
    public bool? AccountBlocked { get; init; }
    public bool? TradeSuspendedByUser { get; init; }
    public bool? ShortingEnabled { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}
