namespace AlpacaConnect.Sandbox.Trading;

internal static class OrderStatus
{
    public const string New = "new";
    public const string PartiallyFilled = "partially_filled";
    public const string Filled = "filled";
    public const string Canceled = "canceled";
    public const string Expired = "expired";
    public const string Accepted = "accepted";
    public const string Held = "held";
    public const string Replaced = "replaced";

    /// <summary>Still alive (Alpaca's status=open), including bracket legs waiting for their entry.</summary>
    public static bool IsOpen(string status) => status is New or PartiallyFilled or Accepted or Held;

    /// <summary>Able to fill now.</summary>
    public static bool IsWorking(string status) => status is New or PartiallyFilled or Accepted;
}

/// <summary>One order (or one leg of a bracket/oco/oto order) as the simulator tracks it.</summary>
internal sealed class SimOrder
{
    public required Guid Id { get; init; }

    public required string ClientOrderId { get; init; }

    public required Asset Asset { get; init; }

    public required string Side { get; init; }

    public required string Type { get; init; }

    public required string TimeInForce { get; init; }

    /// <summary>"" for simple orders unless the client said "simple", as Alpaca echoes it.</summary>
    public required string OrderClass { get; init; }

    public required string PositionIntent { get; init; }

    public decimal? Qty { get; init; }

    public decimal? Notional { get; init; }

    public decimal? LimitPrice { get; init; }

    /// <summary>For trailing stops: the current trigger price, moved with the high-water mark.</summary>
    public decimal? StopPrice { get; set; }

    public decimal? TrailPrice { get; init; }

    public decimal? TrailPercent { get; init; }

    public decimal? Hwm { get; set; }

    public bool ExtendedHours { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? FilledAt { get; set; }

    public DateTimeOffset? CanceledAt { get; set; }

    public DateTimeOffset? ExpiredAt { get; set; }

    public DateTimeOffset? ReplacedAt { get; set; }

    public Guid? ReplacedBy { get; set; }

    public Guid? Replaces { get; set; }

    public decimal FilledQty { get; set; }

    public decimal? FilledAvgPrice { get; set; }

    public required string Status { get; set; }

    /// <summary>A stop_limit whose stop was hit behaves as a limit order from then on.</summary>
    public bool StopTriggered { get; set; }

    public SimOrder? Parent { get; init; }

    public List<SimOrder> Legs { get; } = [];

    public bool IsOpen => OrderStatus.IsOpen(Status);

    public bool IsBuy => Side == "buy";

    /// <summary>Shares still to fill (notional orders: unknown until the fill, so 0).</summary>
    public decimal Remaining => Qty is { } q ? q - FilledQty : 0;

    /// <summary>Orders of which only one may fill: the two exits of a bracket, or an oco pair.</summary>
    public IEnumerable<SimOrder> OcoSiblings()
    {
        if (Parent is { OrderClass: "bracket" })
        {
            return Parent.Legs.Where(l => l != this);
        }

        if (Parent is { OrderClass: "oco" })
        {
            return Parent.Legs.Where(l => l != this).Prepend(Parent);
        }

        return Parent is null && OrderClass == "oco" ? Legs : [];
    }

    /// <summary>The key under which shares are held for open sells: an oco group holds its shares once.</summary>
    public Guid HoldGroup => Parent is { OrderClass: "bracket" or "oco" } ? Parent.Id : Id;
}
