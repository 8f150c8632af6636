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
    }
}
