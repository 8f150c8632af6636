using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.UnitTests.Trading;

/// <summary>
/// Alpaca's rules for any order (ALPACA.md, trading-api.json), as the edge checks them: the fields
/// and their values, sizing, the prices each type needs, trailing stops, extended hours, sub-penny
/// prices and absurd sizes. Each rule with an order that passes it and one that breaks it; the
/// advanced order classes are in <see cref="TradeValidatorTests"/>.
/// </summary>
public sealed class TradeValidatorOrderTests
{
    private static readonly TradeOrder Market = new() { Symbol = "AAPL", Side = "buy", Type = "market", Qty = "1", TimeInForce = "day" };
    private static readonly TradeOrder Limit = Market with { Type = "limit", LimitPrice = "187.25", TimeInForce = "gtc" };

    private static Dictionary<string, string[]> Validate(TradeOrder order, string userId = "amy", string env = "paper") =>
        TradeValidator.Validate(new TradeRequest(userId, env, order));

    /// <summary>The order breaks exactly one rule: the one on <paramref name="field"/>, whose message contains <paramref name="says"/>.</summary>
    private static void RefusedFor(TradeOrder order, string field, string says)
    {
        var errors = Validate(order);
        Assert.True(errors.Keys.SequenceEqual([field]), $"expected only {field}, got: {string.Join("; ", errors.Select(e => e.Key + ": " + string.Join(" | ", e.Value)))}");
        Assert.Contains(says, Assert.Single(errors[field]));
    }

    [Fact]
    public void The_plain_orders_used_below_are_valid()
    {
        Assert.Empty(Validate(Market));
        Assert.Empty(Validate(Limit));
    }

    // --- Who and where ---

    [Theory]
    [InlineData("", "paper", "user_id")]
    [InlineData("amy smith", "paper", "user_id")]
    [InlineData("amy", "sandbox", "env")]
    [InlineData("amy", "", "env")]
    public void The_user_id_and_env_are_checked_with_the_order(string userId, string env, string field) =>
        Assert.Equal([field], Validate(Market, userId, env).Keys);

    [Theory]
    [InlineData("amy")]
    [InlineData("user.42@example.com")]
    [InlineData("a_b-c+d")]
    public void User_ids_of_letters_digits_and_dot_underscore_dash_at_plus_are_valid(string userId)
    {
        Assert.Empty(Validate(Market, userId, "paper"));
        Assert.Empty(Validate(Market, userId, "live"));
    }

    // --- The fields ---

    [Theory]
    [InlineData("AAPL")]
    [InlineData("BRK.B")]
    [InlineData("BTC/USD")]
    [InlineData("A")]
    [InlineData("ABCDEFGHIJ")]
    public void Uppercase_tickers_with_an_optional_class_or_pair_are_valid_symbols(string symbol) =>
        Assert.Empty(Validate(Market with { Symbol = symbol }));

    [Theory]
    [InlineData(null, "Required")]
    [InlineData("", "Required")]
    [InlineData("aapl", "uppercase ticker")]
    [InlineData("ABCDEFGHIJK", "uppercase ticker")]
    [InlineData("1AAPL", "uppercase ticker")]
    [InlineData("AAPL B", "uppercase ticker")]
    [InlineData("BRK.", "uppercase ticker")]
    public void Other_symbols_are_refused(string? symbol, string says) =>
        RefusedFor(Market with { Symbol = symbol }, "order.symbol", says);

    [Theory]
    [InlineData("buy")]
    [InlineData("sell")]
    public void Side_is_buy_or_sell(string side) => Assert.Empty(Validate(Market with { Side = side }));

    [Theory]
    [InlineData(null, "Required: one of buy, sell")]
    [InlineData("short", "'short' is not one of buy, sell")]
    [InlineData("Buy", "'Buy' is not one of")]
    public void Any_other_side_is_refused(string? side, string says) =>
        RefusedFor(Market with { Side = side }, "order.side", says);

    [Theory]
    [InlineData("day")]
    [InlineData("gtc")]
    [InlineData("opg")]
    [InlineData("cls")]
    [InlineData("ioc")]
    [InlineData("fok")]
    public void Each_of_alpacas_times_in_force_is_valid(string tif) =>
        Assert.Empty(Validate(Limit with { TimeInForce = tif }));

    [Theory]
    [InlineData(null, "Required")]
    [InlineData("gtd", "is not one of day, gtc, opg, cls, ioc, fok")]
    public void Any_other_time_in_force_is_refused(string? tif, string says) =>
        RefusedFor(Limit with { TimeInForce = tif }, "order.time_in_force", says);

    [Fact]
    public void An_unknown_type_or_none_is_refused_without_a_second_complaint_about_its_prices()
    {
        RefusedFor(Market with { Type = null }, "order.type", "Required: one of market, limit, stop, stop_limit, trailing_stop");
        RefusedFor(Limit with { Type = "moc" }, "order.type", "'moc' is not one of");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("simple")]
    public void An_order_without_class_or_simple_is_a_simple_order(string? orderClass) =>
        Assert.Empty(Validate(Market with { OrderClass = orderClass }));

    [Fact]
    public void An_unknown_order_class_is_refused() =>
        RefusedFor(Market with { OrderClass = "trailing" }, "order.order_class", "is not one of simple, bracket, oco, oto");

    [Theory]
    [InlineData("buy_to_open")]
    [InlineData("buy_to_close")]
    [InlineData("sell_to_open")]
    [InlineData("sell_to_close")]
    public void Each_position_intent_alpaca_names_is_valid(string intent) =>
        Assert.Empty(Validate(Market with { PositionIntent = intent }));

    [Fact]
    public void Any_other_position_intent_is_refused() =>
        RefusedFor(Market with { PositionIntent = "open" }, "order.position_intent", "is not one of buy_to_open");

    [Fact]
    public void A_client_order_id_is_refused_the_service_sets_it() =>
        RefusedFor(Market with { ClientOrderId = "mine-1" }, "order.client_order_id", "the service sets client_order_id");

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var errors = Validate(new TradeOrder { Symbol = "aapl", Side = "hold", Type = "limit", TimeInForce = "week", Qty = "0" }, userId: "", env: "demo");
        Assert.Equal(["env", "order.limit_price", "order.qty", "order.side", "order.symbol", "order.time_in_force", "user_id"], errors.Keys.Order(StringComparer.Ordinal));
    }

    // --- Sizing: qty or notional, never both; notional and fractional qty only for market/day ---

    [Fact]
    public void An_order_needs_a_size() => RefusedFor(Market with { Qty = null }, "order.qty", "Give qty or notional.");

    [Fact]
    public void Qty_and_notional_together_are_refused() =>
        RefusedFor(Market with { Notional = "100" }, "order.notional", "not both");

    [Theory]
    [InlineData("100")]
    [InlineData("0.01")]
    [InlineData("25.50")]
    public void A_notional_market_day_order_is_valid(string notional) =>
        Assert.Empty(Validate(Market with { Qty = null, Notional = notional }));

    [Theory]
    [InlineData("market", "gtc")]
    [InlineData("market", "ioc")]
    [InlineData("limit", "day")]
    public void Notional_is_only_for_market_orders_with_time_in_force_day(string type, string tif) =>
        RefusedFor(Market with { Qty = null, Notional = "100", Type = type, TimeInForce = tif, LimitPrice = type == "limit" ? "10.00" : null },
            "order.notional", "must be type market with time_in_force day");

    [Theory]
    [InlineData("0.5")]
    [InlineData("0.000000001")]
    [InlineData("1.25")]
    public void A_fractional_qty_market_day_order_is_valid(string qty) =>
        Assert.Empty(Validate(Market with { Qty = qty }));

    [Theory]
    [InlineData("market", "gtc")]
    [InlineData("limit", "day")]
    [InlineData("limit", "gtc")]
    public void Fractional_qty_is_only_for_market_orders_with_time_in_force_day(string type, string tif) =>
        RefusedFor(Limit with { Qty = "1.5", Type = type, TimeInForce = tif, LimitPrice = type == "limit" ? "10.00" : null },
            "order.qty", "Fractional qty is only allowed for market orders with time_in_force day");

    [Theory]
    [InlineData("10.000")]
    [InlineData("2.0")]
    public void A_whole_qty_written_with_zeros_is_whole(string qty) =>
        Assert.Empty(Validate(Limit with { Qty = qty }));

    // --- Amounts and prices: positive, plausible, with the decimals Alpaca takes ---

    [Theory]
    [InlineData("0", "greater than zero")]
    [InlineData("-1", "greater than zero")]
    [InlineData("10000001", "implausibly large")]
    [InlineData("0.0000000001", "At most 9 decimal places")]
    public void Qty_is_positive_plausible_and_at_most_nine_decimals(string qty, string says) =>
        RefusedFor(Market with { Qty = qty }, "order.qty", says);

    [Fact]
    public void The_largest_qty_is_allowed() => Assert.Empty(Validate(Limit with { Qty = "10000000" }));

    [Theory]
    [InlineData("0", "greater than zero")]
    [InlineData("10000000.01", "implausibly large")]
    [InlineData("10.001", "At most 2 decimal places")]
    public void Notional_is_positive_plausible_and_in_cents(string notional, string says) =>
        RefusedFor(Market with { Qty = null, Notional = notional }, "order.notional", says);

    [Theory]
    [InlineData("1.00")]
    [InlineData("187.25")]
    [InlineData("100.000")]   // judged by value: a whole-cent price
    [InlineData("0.9999")]    // under $1: four decimals
    [InlineData("0.5")]
    [InlineData("1000000")]
    public void Prices_in_cents_or_under_a_dollar_in_hundredths_of_a_cent_are_valid(string price) =>
        Assert.Empty(Validate(Limit with { LimitPrice = price }));

    [Theory]
    [InlineData("187.255", "at most 2 decimal places")]  // sub-penny at $1 and above
    [InlineData("1.001", "at most 2 decimal places")]
    [InlineData("0.12345", "At most 4 decimal places")]
    [InlineData("0", "greater than zero")]
    [InlineData("-5", "greater than zero")]
    [InlineData("1000000.01", "implausibly large")]
    public void Sub_penny_absurd_and_non_positive_prices_are_refused(string price, string says) =>
        RefusedFor(Limit with { LimitPrice = price }, "order.limit_price", says);

    [Fact]
    public void The_sub_penny_rule_holds_for_every_price_field()
    {
        RefusedFor(Market with { Type = "stop", StopPrice = "10.123" }, "order.stop_price", "at most 2 decimal places");
        RefusedFor(Market with { Type = "trailing_stop", TrailPrice = "10.123" }, "order.trail_price", "at most 2 decimal places");
    }

    // --- The prices each type needs, and only those ---

    [Fact]
    public void Each_type_with_the_prices_it_needs_is_valid()
    {
        Assert.Empty(Validate(Market with { Type = "stop", StopPrice = "180.00" }));
        Assert.Empty(Validate(Market with { Type = "stop_limit", StopPrice = "180.00", LimitPrice = "179.50" }));
        Assert.Empty(Validate(Market with { Type = "trailing_stop", TrailPrice = "2.50" }));
        Assert.Empty(Validate(Market with { Type = "trailing_stop", TrailPercent = "1.5" }));
    }

    [Theory]
    [InlineData("limit", null, null, "order.limit_price", "Required for limit orders")]
    [InlineData("stop_limit", "180.00", null, "order.limit_price", "Required for stop_limit orders")]
    [InlineData("stop", null, null, "order.stop_price", "Required for stop orders")]
    [InlineData("stop_limit", null, "179.50", "order.stop_price", "Required for stop_limit orders")]
    public void A_type_without_a_price_it_needs_is_refused(string type, string? stop, string? limit, string field, string says) =>
        RefusedFor(Market with { Type = type, StopPrice = stop, LimitPrice = limit, TimeInForce = "gtc" }, field, says);

    [Theory]
    [InlineData("market", "10.00", null, "order.limit_price", "Not allowed for market orders")]
    [InlineData("stop", "10.00", "9.00", "order.limit_price", "Not allowed for stop orders")]
    [InlineData("market", null, "9.00", "order.stop_price", "Not allowed for market orders")]
    [InlineData("limit", "10.00", "9.00", "order.stop_price", "Not allowed for limit orders")]
    public void A_price_the_type_does_not_take_is_refused(string type, string? limit, string? stop, string field, string says) =>
        RefusedFor(Market with { Type = type, LimitPrice = limit, StopPrice = stop, TimeInForce = "gtc" }, field, says);

    [Theory]
    [InlineData(null, null)]
    [InlineData("2.50", "1.5")]
    public void A_trailing_stop_takes_exactly_one_of_trail_price_or_trail_percent(string? price, string? percent) =>
        RefusedFor(Market with { Type = "trailing_stop", TrailPrice = price, TrailPercent = percent }, "order.trail_price", "exactly one of trail_price or trail_percent");

    [Theory]
    [InlineData("2.50", null, "order.trail_price")]
    [InlineData(null, "1.5", "order.trail_percent")]
    public void Trail_fields_are_only_for_trailing_stops(string? price, string? percent, string field) =>
        RefusedFor(Limit with { TrailPrice = price, TrailPercent = percent }, field, "Only for trailing_stop orders");

    [Theory]
    [InlineData("100.01", "implausibly large")]
    [InlineData("0.12345", "At most 4 decimal places")]
    [InlineData("0", "greater than zero")]
    public void Trail_percent_is_a_percentage_with_at_most_four_decimals(string percent, string says) =>
        RefusedFor(Market with { Type = "trailing_stop", TrailPercent = percent }, "order.trail_percent", says);

    [Fact]
    public void Trail_percent_may_be_a_hundred() =>
        Assert.Empty(Validate(Market with { Type = "trailing_stop", TrailPercent = "100" }));

    // --- Extended hours: limit orders with day or gtc only ---

    [Theory]
    [InlineData("day")]
    [InlineData("gtc")]
    public void A_limit_order_may_trade_in_extended_hours_with_day_or_gtc(string tif) =>
        Assert.Empty(Validate(Limit with { ExtendedHours = true, TimeInForce = tif }));

    [Theory]
    [InlineData("market", "day", null)]
    [InlineData("stop_limit", "day", "9.00")]
    [InlineData("limit", "ioc", null)]
    [InlineData("limit", "opg", null)]
    public void Extended_hours_are_refused_for_anything_else(string type, string tif, string? stop) =>
        RefusedFor(Market with { Type = type, TimeInForce = tif, StopPrice = stop, LimitPrice = type == "market" ? null : "10.00", ExtendedHours = true },
            "order.extended_hours", "must be type limit with time_in_force day or gtc");

    [Fact]
    public void Extended_hours_false_is_no_restriction() =>
        Assert.Empty(Validate(Market with { ExtendedHours = false }));
}
