using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Signals;

namespace AlpacaConnect.UnitTests.Signals;

public sealed class SignalOrdersTests
{
    private static readonly SignalAlert Buy = new() { Ticker = "AAPL", Action = "buy", SignalPrice = 200m };
    private static readonly OrderSize Ten = new(10m, null);

    [Theory]
    [InlineData("187.255", "187.26")]
    [InlineData("187.2549", "187.25")]
    [InlineData("0.123456", "0.1235")]
    [InlineData("1", "1")]
    public void Prices_land_on_Alpacas_ticks(string price, string expected) =>
        Assert.Equal(expected, SignalOrders.Text(SignalOrders.ToTick(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture))));

    [Fact]
    public void Percent_take_profit_and_stop_loss_make_a_bracket_around_the_signal_price()
    {
        var alert = Buy with { TakeProfit = new PriceOffset { Percent = 5 }, StopLoss = new PriceOffset { Percent = 2.5m } };
        var (order, refusal) = SignalOrders.Entry(alert, "AAPL", isLong: true, Ten, knownPrice: null, extendedSession: false);
        Assert.Null(refusal);
        Assert.Equal("bracket", order!.OrderClass);
        Assert.Equal("210", order.TakeProfit!.LimitPrice);
        Assert.Equal("195", order.StopLoss!.StopPrice);
        Assert.Equal(("buy", "market", "day", "10"), (order.Side, order.Type, order.TimeInForce, order.Qty));
    }

    [Fact]
    public void A_short_entrys_bracket_is_mirrored_and_amounts_count_in_dollars()
    {
        var alert = Buy with { Action = "sell", SignalPrice = 33.333m, TakeProfit = new PriceOffset { Amount = 1.111m }, StopLoss = new PriceOffset { Amount = 0.5m } };
        var (order, _) = SignalOrders.Entry(alert, "AAPL", isLong: false, Ten, null, false);
        Assert.Equal("sell", order!.Side);
        Assert.Equal("32.22", order.TakeProfit!.LimitPrice); // 33.333 - 1.111 = 32.222
        Assert.Equal("33.83", order.StopLoss!.StopPrice);    // 33.333 + 0.5 = 33.833
    }

    [Fact]
    public void A_limit_entry_counts_offsets_from_its_limit_and_one_leg_is_an_oto()
    {
        var alert = Buy with { OrderType = "limit", LimitPrice = 100m, TakeProfit = new PriceOffset { Percent = 10 } };
        var (order, _) = SignalOrders.Entry(alert, "AAPL", true, Ten, null, false);
        Assert.Equal(("limit", "100", "oto", "110"), (order!.Type, order.LimitPrice, order.OrderClass, order.TakeProfit!.LimitPrice));
        Assert.Null(order.StopLoss);
    }

    [Fact]
    public void An_absolute_take_profit_is_used_as_given_on_a_tick()
    {
        var alert = Buy with { SignalPrice = null, TakeProfit = new PriceOffset { Price = 250.005m }, StopLoss = new PriceOffset { Price = 190m } };
        var (order, _) = SignalOrders.Entry(alert, "AAPL", true, Ten, null, false);
        Assert.Equal(("250.01", "190"), (order!.TakeProfit!.LimitPrice, order.StopLoss!.StopPrice));
    }

    [Fact]
    public void Offsets_without_any_price_are_refused()
    {
        var alert = Buy with { SignalPrice = null, StopLoss = new PriceOffset { Percent = 2 } };
        var (order, refusal) = SignalOrders.Entry(alert, "AAPL", true, Ten, knownPrice: null, false);
        Assert.Null(order);
        Assert.Equal(SignalReasons.PriceUnknown, SignalReasons.CodeOf(refusal));
    }

    [Fact]
    public void A_limit_order_without_a_limit_price_takes_the_signal_price()
    {
        Assert.Equal(200m, SignalOrders.LimitOf(Buy with { OrderType = "limit" }));
        Assert.Null(SignalOrders.LimitOf(Buy));
    }

    [Fact]
    public void Outside_the_regular_session_only_limit_orders_go_with_extended_hours()
    {
        var (market, refusal) = SignalOrders.Entry(Buy, "AAPL", true, Ten, null, extendedSession: true);
        Assert.Null(market);
        Assert.Equal(SignalReasons.ExtendedHoursNeedsLimit, SignalReasons.CodeOf(refusal));

        var (limit, _) = SignalOrders.Entry(Buy with { OrderType = "limit" }, "AAPL", true, Ten, null, extendedSession: true);
        Assert.True(limit!.ExtendedHours);
    }

    [Fact]
    public void Fractions_only_on_simple_market_day_orders()
    {
        Assert.True(SignalOrders.CanBeFractional(Buy, extendedSession: false));
        Assert.False(SignalOrders.CanBeFractional(Buy with { TimeInForce = "gtc" }, false));
        Assert.False(SignalOrders.CanBeFractional(Buy with { StopLoss = new PriceOffset { Percent = 1 } }, false));
        Assert.False(SignalOrders.CanBeFractional(Buy, extendedSession: true));
    }

    [Fact]
    public void Closing_sells_a_long_and_buys_back_a_short_whole()
    {
        var longPosition = new AlpacaPosition { Symbol = "AAPL", Qty = "12.5", Side = "long", CurrentPrice = "190.1" };
        var shortPosition = new AlpacaPosition { Symbol = "AAPL", Qty = "-3", Side = "short" };
        Assert.Equal(12.5m, SignalOrders.SignedQty(longPosition));
        Assert.Equal(-3m, SignalOrders.SignedQty(shortPosition));
        Assert.Equal(0m, SignalOrders.SignedQty(null));
        Assert.Equal(190.1m, SignalOrders.CurrentPrice(longPosition));

        var close = SignalOrders.Close("AAPL", -3m);
        Assert.Equal(("buy", "market", "day", "3"), (close.Side, close.Type, close.TimeInForce, close.Qty));
        Assert.Equal(("sell", "12.5"), (SignalOrders.Close("AAPL", 12.5m).Side, SignalOrders.Close("AAPL", 12.5m).Qty));
    }
}
