using AlpacaConnect.Core.Signals;

namespace AlpacaConnect.UnitTests.Signals;

public sealed class SignalSizingTests
{
    private static readonly SignalAlert Alert = new() { Ticker = "AAPL", Action = "buy" };

    private static SubscriberSizing Sizing(string kind, decimal value, bool fractional = false) => new() { Kind = kind, Value = value, AllowFractional = fractional };

    [Fact]
    public void Fixed_quantity_is_whole_shares_rounded_down()
    {
        var (size, refusal) = SignalSizing.Size(Sizing(SubscriberSizing.FixedQuantity, 3.7m), Alert, equity: null, price: null, fractionalOrder: false);
        Assert.Null(refusal);
        Assert.Equal(new OrderSize(3m, null), size);
        Assert.Equal("3", size!.QtyText);
    }

    [Fact]
    public void Fixed_quantity_keeps_fractions_to_nine_digits_when_the_order_can_carry_them()
    {
        var (size, _) = SignalSizing.Size(Sizing(SubscriberSizing.FixedQuantity, 0.1234567891m, fractional: true), Alert, null, null, fractionalOrder: true);
        Assert.Equal(0.123456789m, size!.Qty);
    }

    [Fact]
    public void A_size_that_rounds_to_zero_is_refused()
    {
        var (size, refusal) = SignalSizing.Size(Sizing(SubscriberSizing.FixedQuantity, 0.5m), Alert, null, null, fractionalOrder: false);
        Assert.Null(size);
        Assert.Equal(SignalReasons.SizeZero, SignalReasons.CodeOf(refusal));
    }

    [Fact]
    public void Notional_in_whole_shares_divides_by_the_price_and_rounds_down()
    {
        var (size, _) = SignalSizing.Size(Sizing(SubscriberSizing.FixedNotional, 1000m), Alert, null, price: 187.25m, fractionalOrder: false);
        Assert.Equal(new OrderSize(5m, null), size); // 1000 / 187.25 = 5.34
    }

    [Fact]
    public void Notional_with_fractions_allowed_goes_to_Alpaca_as_a_notional_in_cents()
    {
        var (size, _) = SignalSizing.Size(Sizing(SubscriberSizing.FixedNotional, 250.129m, fractional: true), Alert, null, price: null, fractionalOrder: true);
        Assert.Equal(new OrderSize(null, 250.12m), size);
        Assert.Equal("250.12", size!.NotionalText);
    }

    [Fact]
    public void Notional_in_whole_shares_without_a_price_is_refused()
    {
        var (_, refusal) = SignalSizing.Size(Sizing(SubscriberSizing.FixedNotional, 1000m), Alert, null, price: null, fractionalOrder: false);
        Assert.Equal(SignalReasons.PriceUnknown, SignalReasons.CodeOf(refusal));
    }

    [Fact]
    public void Percent_of_equity_takes_that_share_of_the_equity()
    {
        var (size, _) = SignalSizing.Size(Sizing(SubscriberSizing.PercentOfEquity, 2m), Alert, equity: 100_000m, price: 190m, fractionalOrder: false);
        Assert.Equal(10m, size!.Qty); // 2,000 / 190 = 10.5
        Assert.True(SignalSizing.NeedsEquity(Sizing(SubscriberSizing.PercentOfEquity, 2m), Alert));
    }

    [Fact]
    public void Subscriber_sizing_wins_over_the_alerts_quantity()
    {
        var alert = Alert with { Quantity = 50, QuantityType = SubscriberSizing.FixedQuantity };
        var (size, _) = SignalSizing.Size(Sizing(SubscriberSizing.FixedQuantity, 2m), alert, null, null, false);
        Assert.Equal(2m, size!.Qty);
    }

    [Fact]
    public void A_multiplier_scales_the_alerts_quantity_in_the_alerts_quantity_type()
    {
        var shares = SignalSizing.Size(Sizing(SubscriberSizing.Multiplier, 1.5m), Alert with { Quantity = 4 }, null, null, false);
        Assert.Equal(6m, shares.Size!.Qty);

        var dollars = SignalSizing.Size(Sizing(SubscriberSizing.Multiplier, 2m), Alert with { Quantity = 500, QuantityType = SubscriberSizing.FixedNotional }, null, price: 100m, false);
        Assert.Equal(10m, dollars.Size!.Qty);

        var percent = Alert with { Quantity = 1, QuantityType = SubscriberSizing.PercentOfEquity };
        Assert.True(SignalSizing.NeedsEquity(Sizing(SubscriberSizing.Multiplier, 3m), percent));
        Assert.Equal(15m, SignalSizing.Size(Sizing(SubscriberSizing.Multiplier, 3m), percent, equity: 50_000m, price: 100m, false).Size!.Qty);
    }

    [Fact]
    public void A_multiplier_without_an_alert_quantity_is_refused()
    {
        var (_, refusal) = SignalSizing.Size(Sizing(SubscriberSizing.Multiplier, 2m), Alert, null, null, false);
        Assert.Equal(SignalReasons.QuantityMissing, SignalReasons.CodeOf(refusal));
    }

    [Fact]
    public void Estimates_value_a_size_at_a_price()
    {
        Assert.Equal(10m, new OrderSize(null, 1000m).EstimatedQty(100m));
        Assert.Null(new OrderSize(null, 1000m).EstimatedQty(null));
        Assert.Equal(750m, new OrderSize(5m, null).EstimatedNotional(150m));
    }
}
