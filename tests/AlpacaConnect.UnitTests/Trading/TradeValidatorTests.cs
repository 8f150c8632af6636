using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.UnitTests.Trading;

/// <summary>The order-class rules of Alpaca's advanced orders (bracket, oco, oto), as the edge checks them.</summary>
public sealed class TradeValidatorTests
{
    private static Dictionary<string, string[]> Validate(TradeOrder order) => TradeValidator.Validate(new TradeRequest("amy", "paper", order));

    private static TradeOrder Oco(string side, string takeProfit, string stopPrice, string? stopLimit = null, string? limit = null) => new()
    {
        Symbol = "AAPL", Side = side, Type = "limit", Qty = "10", TimeInForce = "gtc", OrderClass = "oco", LimitPrice = limit,
        TakeProfit = new TradeTakeProfit { LimitPrice = takeProfit },
        StopLoss = new TradeStopLoss { StopPrice = stopPrice, LimitPrice = stopLimit },
    };

    private static TradeOrder Bracket(string side, string takeProfit, string stopPrice, string? entryLimit = null) => new()
    {
        Symbol = "AAPL", Side = side, Type = entryLimit is null ? "market" : "limit", LimitPrice = entryLimit, Qty = "10", TimeInForce = "gtc", OrderClass = "bracket",
        TakeProfit = new TradeTakeProfit { LimitPrice = takeProfit },
        StopLoss = new TradeStopLoss { StopPrice = stopPrice },
    };

    [Fact]
    public void Alpacas_documented_oco_a_sell_limit_with_profit_above_the_stop_and_no_top_level_limit_price_is_valid()
    {
        Assert.Empty(Validate(Oco("sell", takeProfit: "301.00", stopPrice: "299.00", stopLimit: "298.00")));
        Assert.Empty(Validate(Oco("sell", takeProfit: "301.00", stopPrice: "299.00")));
    }

    [Fact]
    public void A_buy_side_oco_closes_a_short_so_its_profit_lies_below_its_stop()
    {
        Assert.Empty(Validate(Oco("buy", takeProfit: "299.00", stopPrice: "301.00", stopLimit: "302.00")));

        var wrong = Validate(Oco("buy", takeProfit: "301.00", stopPrice: "299.00"));
        Assert.Contains("below", Assert.Single(wrong["order.take_profit.limit_price"]));
    }

    [Fact]
    public void A_sell_side_oco_with_profit_below_its_stop_is_refused()
    {
        var errors = Validate(Oco("sell", takeProfit: "299.00", stopPrice: "301.00"));
        Assert.Contains("above", Assert.Single(errors["order.take_profit.limit_price"]));
    }

    [Theory]
    [InlineData("sell", "299.00", "299.50")] // a selling stop-limit whose limit is above its stop
    [InlineData("buy", "301.00", "300.50")]  // a buying stop-limit whose limit is below its stop
    public void An_oco_stop_limit_leg_whose_limit_lies_on_the_wrong_side_of_its_stop_is_refused(string side, string stop, string stopLimit)
    {
        var takeProfit = side == "sell" ? "310.00" : "290.00";
        Assert.Contains("order.stop_loss.limit_price", Validate(Oco(side, takeProfit, stop, stopLimit)).Keys);
    }

    [Fact]
    public void An_oco_may_repeat_its_take_profit_as_limit_price_but_not_name_another()
    {
        Assert.Empty(Validate(Oco("sell", "301.00", "299.00", limit: "301.00")));
        Assert.Contains("order.limit_price", Validate(Oco("sell", "301.00", "299.00", limit: "300.00")).Keys);
    }

    [Fact]
    public void An_oco_needs_both_legs_type_limit_whole_shares_and_day_or_gtc()
    {
        var noStop = Oco("sell", "301.00", "299.00") with { StopLoss = null };
        Assert.Contains("order.stop_loss.stop_price", Validate(noStop).Keys);
        var noProfit = Oco("sell", "301.00", "299.00") with { TakeProfit = null };
        Assert.Contains("order.take_profit.limit_price", Validate(noProfit).Keys);
        Assert.Contains("order.type", Validate(Oco("sell", "301.00", "299.00") with { Type = "market" }).Keys);
        Assert.Contains("order.qty", Validate(Oco("sell", "301.00", "299.00") with { Qty = "1.5" }).Keys);
        Assert.Contains("order.time_in_force", Validate(Oco("sell", "301.00", "299.00") with { TimeInForce = "ioc" }).Keys);
    }

    [Fact]
    public void A_bracket_buy_takes_profit_above_its_stop_with_the_entry_between()
    {
        Assert.Empty(Validate(Bracket("buy", takeProfit: "120.00", stopPrice: "90.00")));
        Assert.Empty(Validate(Bracket("buy", takeProfit: "120.00", stopPrice: "90.00", entryLimit: "100.00")));
        Assert.Contains("order.take_profit.limit_price", Validate(Bracket("buy", takeProfit: "90.00", stopPrice: "120.00")).Keys);
        Assert.Contains("order.limit_price", Validate(Bracket("buy", takeProfit: "120.00", stopPrice: "90.00", entryLimit: "125.00")).Keys);
    }

    [Fact]
    public void A_bracket_sell_opens_a_short_so_its_exits_buy_profit_below_the_stop()
    {
        Assert.Empty(Validate(Bracket("sell", takeProfit: "90.00", stopPrice: "120.00", entryLimit: "100.00")));
        Assert.Contains("order.take_profit.limit_price", Validate(Bracket("sell", takeProfit: "120.00", stopPrice: "90.00")).Keys);
    }

    [Fact]
    public void A_bracket_needs_both_legs_and_a_market_or_limit_entry()
    {
        Assert.Contains("order.stop_loss.stop_price", Validate(Bracket("buy", "120.00", "90.00") with { StopLoss = null }).Keys);
        Assert.Contains("order.type", Validate(Bracket("buy", "120.00", "90.00") with { Type = "stop", StopPrice = "95.00" }).Keys);
        Assert.Contains("order.notional", Validate(Bracket("buy", "120.00", "90.00") with { Qty = null, Notional = "100" }).Keys);
    }

    [Fact]
    public void An_oto_takes_exactly_one_exit_leg()
    {
        var oto = new TradeOrder
        {
            Symbol = "AAPL", Side = "buy", Type = "limit", LimitPrice = "100.00", Qty = "5", TimeInForce = "day", OrderClass = "oto",
            StopLoss = new TradeStopLoss { StopPrice = "90.00" },
        };
        Assert.Empty(Validate(oto));
        Assert.Empty(Validate(oto with { StopLoss = null, TakeProfit = new TradeTakeProfit { LimitPrice = "110.00" } }));
        Assert.Contains("order.order_class", Validate(oto with { StopLoss = null }).Keys);
        Assert.Contains("order.order_class", Validate(oto with { TakeProfit = new TradeTakeProfit { LimitPrice = "110.00" } }).Keys);
        Assert.Contains("order.type", Validate(oto with { Type = "trailing_stop", LimitPrice = null, TrailPercent = "1" }).Keys);
    }

    [Fact]
    public void Legs_need_an_advanced_order_class()
    {
        var simple = new TradeOrder { Symbol = "AAPL", Side = "buy", Type = "market", Qty = "1", TimeInForce = "day", TakeProfit = new TradeTakeProfit { LimitPrice = "300.00" } };
        Assert.Contains("order.order_class", Validate(simple).Keys);
        Assert.Equal(["order.order_class"], Validate(simple with { TakeProfit = null, StopLoss = new TradeStopLoss { StopPrice = "290.00" } }).Keys);
        Assert.Equal(["order.order_class"], Validate(simple with { OrderClass = "simple" }).Keys);
    }

    private static TradeOrder Oto(string type = "limit") => new()
    {
        Symbol = "AAPL", Side = "buy", Type = type, Qty = "5", TimeInForce = "day", OrderClass = "oto",
        LimitPrice = type is "limit" or "stop_limit" ? "100.00" : null, StopPrice = type is "stop" or "stop_limit" ? "101.00" : null,
        StopLoss = new TradeStopLoss { StopPrice = "90.00" },
    };

    [Theory]
    [InlineData("market")]
    [InlineData("limit")]
    [InlineData("stop")]
    [InlineData("stop_limit")]
    public void An_oto_entry_may_be_market_limit_stop_or_stop_limit(string type) => Assert.Empty(Validate(Oto(type)));

    [Theory]
    [InlineData("bracket")]
    [InlineData("oco")]
    [InlineData("oto")]
    public void An_advanced_order_may_be_day_or_gtc(string orderClass)
    {
        var order = orderClass switch
        {
            "bracket" => Bracket("buy", "120.00", "90.00"),
            "oco" => Oco("sell", "301.00", "299.00"),
            _ => Oto(),
        };
        Assert.Empty(Validate(order with { TimeInForce = "day" }));
        Assert.Empty(Validate(order with { TimeInForce = "gtc" }));
    }

    [Theory]
    [InlineData("bracket", "opg")]
    [InlineData("bracket", "ioc")]
    [InlineData("oto", "fok")]
    [InlineData("oto", "cls")]
    [InlineData("oco", "opg")]
    public void Any_other_time_in_force_is_refused_for_advanced_orders(string orderClass, string tif)
    {
        var order = orderClass switch
        {
            "bracket" => Bracket("buy", "120.00", "90.00"),
            "oco" => Oco("sell", "301.00", "299.00"),
            _ => Oto(),
        };
        var errors = Validate(order with { TimeInForce = tif });
        Assert.Equal(["order.time_in_force"], errors.Keys);
        Assert.Equal($"{orderClass} orders must be day or gtc.", Assert.Single(errors["order.time_in_force"]));
    }

    [Fact]
    public void Advanced_orders_are_sized_by_whole_shares_not_notional_nor_fractions()
    {
        Assert.Contains("bracket orders need a whole number of shares.", Validate(Bracket("buy", "120.00", "90.00") with { Qty = "2.5" })["order.qty"]);
        // Even as market/day, where a simple order could be fractional or notional.
        Assert.Equal("oto orders need a whole number of shares.", Assert.Single(Validate(Oto("market") with { Qty = "0.5" })["order.qty"]));
        Assert.Contains("oto orders are sized by whole-share qty.", Validate(Oto("market") with { Qty = null, Notional = "500" })["order.notional"]);
        Assert.Contains("oco orders are sized by whole-share qty.", Validate(Oco("sell", "301.00", "299.00") with { Qty = null, Notional = "500" })["order.notional"]);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("stop_limit")]
    [InlineData("trailing_stop")]
    public void A_bracket_entry_is_never_a_stop_or_trailing_stop(string type)
    {
        var order = Bracket("buy", "120.00", "90.00") with { Type = type, StopPrice = type == "trailing_stop" ? null : "95.00", TrailPercent = type == "trailing_stop" ? "1" : null, LimitPrice = type == "stop_limit" ? "100.00" : null };
        Assert.Equal(["order.type"], Validate(order).Keys);
    }

    [Fact]
    public void A_bracket_needs_its_take_profit()
    {
        var errors = Validate(Bracket("buy", "120.00", "90.00") with { TakeProfit = null });
        Assert.Equal("Required for bracket orders.", Assert.Single(errors["order.take_profit.limit_price"]));
    }

    [Fact]
    public void A_bracket_buy_entry_below_its_stop_is_refused() =>
        Assert.Equal(["order.limit_price"], Validate(Bracket("buy", takeProfit: "120.00", stopPrice: "90.00", entryLimit: "85.00")).Keys);

    [Fact]
    public void A_bracket_sell_entry_outside_its_exits_is_refused()
    {
        Assert.Equal(["order.limit_price"], Validate(Bracket("sell", takeProfit: "90.00", stopPrice: "120.00", entryLimit: "125.00")).Keys);
        Assert.Equal(["order.limit_price"], Validate(Bracket("sell", takeProfit: "90.00", stopPrice: "120.00", entryLimit: "85.00")).Keys);
    }

    [Theory]
    [InlineData("buy", "120.00", "90.00", "89.00", true)]   // its exits sell: the stop-limit at or below the stop
    [InlineData("buy", "120.00", "90.00", "90.00", true)]
    [InlineData("buy", "120.00", "90.00", "91.00", false)]
    [InlineData("sell", "90.00", "120.00", "121.00", true)] // its exits buy: at or above the stop
    [InlineData("sell", "90.00", "120.00", "119.00", false)]
    public void A_bracket_stop_limit_exit_takes_its_limit_beyond_its_stop(string side, string takeProfit, string stop, string stopLimit, bool valid)
    {
        var order = Bracket(side, takeProfit, stop) with { StopLoss = new TradeStopLoss { StopPrice = stop, LimitPrice = stopLimit } };
        if (valid)
            Assert.Empty(Validate(order));
        else
            Assert.Equal(["order.stop_loss.limit_price"], Validate(order).Keys);
    }

    [Fact]
    public void An_oto_stop_limit_exit_takes_its_limit_beyond_its_stop()
    {
        Assert.Empty(Validate(Oto() with { StopLoss = new TradeStopLoss { StopPrice = "90.00", LimitPrice = "89.50" } }));
        Assert.Equal(["order.stop_loss.limit_price"], Validate(Oto() with { StopLoss = new TradeStopLoss { StopPrice = "90.00", LimitPrice = "90.50" } }).Keys);
    }

    [Fact]
    public void Leg_prices_follow_the_sub_penny_rule()
    {
        Assert.Contains("order.take_profit.limit_price", Validate(Bracket("buy", "120.001", "90.00")).Keys);
        Assert.Contains("order.stop_loss.stop_price", Validate(Bracket("buy", "120.00", "90.001")).Keys);
        Assert.Contains("order.stop_loss.limit_price", Validate(Oco("sell", "301.00", "299.00", stopLimit: "298.005")).Keys);
    }
}
