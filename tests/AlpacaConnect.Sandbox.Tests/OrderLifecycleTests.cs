using System.Net;
using System.Text.Json;

namespace AlpacaConnect.Sandbox.Tests;

public sealed class OrderLifecycleTests
{
    private static async Task<(Running Sb, Trader Trader)> StartAsync(decimal aapl = 200m, Action<SandboxOptions>? configure = null)
    {
        var sb = await Running.StartAsync(configure);
        await sb.PinPriceAsync("AAPL", aapl);
        return (sb, sb.Trader(await sb.TokenAsync()));
    }

    [Fact]
    public async Task Market_order_fills_at_once_and_moves_cash_and_position()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "10", side = "buy", type = "market", time_in_force = "day" });
        Assert.Equal("filled", order.Str("status"));
        Assert.Equal("10", order.Str("filled_qty"));
        Assert.Equal(200m, order.Dec("filled_avg_price"));
        Assert.NotEqual(JsonValueKind.Null, order.GetProperty("filled_at").ValueKind);
        Assert.Equal("", order.Str("order_class"));
        Assert.True(Guid.TryParse(order.Str("client_order_id"), out _)); // generated when absent

        var account = await trader.GetJsonAsync("/v2/account");
        Assert.Equal(98000m, account.Dec("cash"));
        Assert.Equal(2000m, account.Dec("long_market_value"));
        Assert.Equal(100000m, account.Dec("equity"));

        await sb.PinPriceAsync("AAPL", 210m);
        var position = await trader.GetJsonAsync("/v2/positions/AAPL");
        Assert.Equal("10", position.Str("qty"));
        Assert.Equal("long", position.Str("side"));
        Assert.Equal(200m, position.Dec("avg_entry_price"));
        Assert.Equal(2000m, position.Dec("cost_basis"));
        Assert.Equal(2100m, position.Dec("market_value"));
        Assert.Equal(100m, position.Dec("unrealized_pl"));
        Assert.Equal(0.05m, position.Dec("unrealized_plpc"));
        Assert.Equal(210m, position.Dec("current_price"));

        var sold = await trader.PlaceAsync(new { symbol = "AAPL", qty = "4", side = "sell", type = "market", time_in_force = "day" });
        Assert.Equal("filled", sold.Str("status"));
        account = await trader.GetJsonAsync("/v2/account");
        Assert.Equal(98840m, account.Dec("cash"));
        position = await trader.GetJsonAsync("/v2/positions/AAPL");
        Assert.Equal("6", position.Str("qty"));
        Assert.Equal(1200m, position.Dec("cost_basis"));

        var fills = await trader.GetJsonAsync("/v2/account/activities/FILL");
        Assert.Equal(2, fills.GetArrayLength());
        Assert.Equal("sell", fills[0].Str("side")); // newest first
        Assert.Equal("FILL", fills[0].Str("activity_type"));
        Assert.Equal("fill", fills[0].Str("type"));
        Assert.Equal(sold.Str("id"), fills[0].Str("order_id"));
        Assert.Equal("0", fills[0].Str("leaves_qty"));
        Assert.Equal("filled", fills[0].Str("order_status"));
    }

    [Fact]
    public async Task Notional_and_fractional_market_orders_fill()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var notional = await trader.PlaceAsync(new { symbol = "AAPL", notional = "500", side = "buy", type = "market", time_in_force = "day" });
        Assert.Equal("filled", notional.Str("status"));
        Assert.Equal(JsonValueKind.Null, notional.GetProperty("qty").ValueKind);
        Assert.Equal("500", notional.Str("notional"));
        Assert.Equal(2.5m, notional.Dec("filled_qty"));

        var fractional = await trader.PlaceAsync(new { symbol = "AAPL", qty = "0.25", side = "buy", type = "market", time_in_force = "day" });
        Assert.Equal("0.25", fractional.Str("filled_qty"));
        Assert.Equal(2.75m, (await trader.GetJsonAsync("/v2/positions/AAPL")).Dec("qty"));
    }

    [Fact]
    public async Task Limit_order_waits_then_fills_when_the_price_crosses()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "5", side = "buy", type = "limit", limit_price = "190", time_in_force = "gtc" });
        Assert.Equal("new", order.Str("status"));
        Assert.Equal("0", order.Str("filled_qty"));
        Assert.Equal(JsonValueKind.Null, order.GetProperty("filled_avg_price").ValueKind);
        var id = order.Str("id");

        Assert.Equal("new", (await trader.GetJsonAsync($"/v2/orders/{id}")).Str("status"));
        await sb.PinPriceAsync("AAPL", 189.5m);
        var filled = await trader.GetJsonAsync($"/v2/orders/{id}");
        Assert.Equal("filled", filled.Str("status"));
        Assert.Equal(189.5m, filled.Dec("filled_avg_price"));
        Assert.Equal("5", (await trader.GetJsonAsync("/v2/positions/AAPL")).Str("qty"));
    }

    [Fact]
    public async Task Large_limit_order_fills_in_two_steps()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "150", side = "buy", type = "limit", limit_price = "210", time_in_force = "day" });
        Assert.Equal("new", order.Str("status"));

        var first = await trader.GetJsonAsync($"/v2/orders/{order.Str("id")}");
        Assert.Equal("partially_filled", first.Str("status"));
        Assert.Equal("75", first.Str("filled_qty"));
        Assert.Equal(JsonValueKind.Null, first.GetProperty("filled_at").ValueKind);

        var open = await trader.GetJsonAsync("/v2/orders?status=open");
        Assert.Equal(JsonValueKind.Array, open.ValueKind);

        var second = await trader.GetJsonAsync($"/v2/orders/{order.Str("id")}");
        Assert.True(second.Str("status") == "filled", second.ToString());
        Assert.Equal("150", second.Str("filled_qty"));

        var fills = await trader.GetJsonAsync("/v2/account/activities/FILL?direction=asc");
        Assert.Equal(["partial_fill", "fill"], fills.EnumerateArray().Select(f => f.Str("type")));
        Assert.Equal("75", fills[0].Str("leaves_qty"));
        Assert.Equal("150", fills[1].Str("cum_qty"));
    }

    [Fact]
    public async Task Stop_order_triggers_when_the_price_falls_through()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "10", side = "buy", type = "market", time_in_force = "day" });

        var stop = await trader.PlaceAsync(new { symbol = "AAPL", qty = "10", side = "sell", type = "stop", stop_price = "180", time_in_force = "gtc" });
        Assert.Equal("new", (await trader.GetJsonAsync($"/v2/orders/{stop.Str("id")}")).Str("status"));

        await sb.PinPriceAsync("AAPL", 179m);
        var filled = await trader.GetJsonAsync($"/v2/orders/{stop.Str("id")}");
        Assert.Equal("filled", filled.Str("status"));
        Assert.Equal(179m, filled.Dec("filled_avg_price"));
        using var gone = await trader.GetAsync("/v2/positions/AAPL");
        await Running.AssertError(gone, HttpStatusCode.NotFound, 40410000, "position does not exist");
    }

    [Fact]
    public async Task Stop_limit_needs_the_stop_and_then_the_limit()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "stop_limit", stop_price = "205", limit_price = "206", time_in_force = "gtc" });
        var id = order.Str("id");
        await sb.PinPriceAsync("AAPL", 210m); // stop hit, but above the limit
        Assert.Equal("new", (await trader.GetJsonAsync($"/v2/orders/{id}")).Str("status"));

        await sb.PinPriceAsync("AAPL", 203m); // back under the stop: already triggered, now within the limit
        var filled = await trader.GetJsonAsync($"/v2/orders/{id}");
        Assert.Equal("filled", filled.Str("status"));
        Assert.Equal(203m, filled.Dec("filled_avg_price"));
    }

    [Fact]
    public async Task Trailing_stop_follows_the_high_water_mark()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "3", side = "buy", type = "market", time_in_force = "day" });

        var trail = await trader.PlaceAsync(new { symbol = "AAPL", qty = "3", side = "sell", type = "trailing_stop", trail_price = "5", time_in_force = "gtc" });
        Assert.Equal("200", trail.Str("hwm"));
        Assert.Equal("195", trail.Str("stop_price"));
        Assert.Equal("5", trail.Str("trail_price"));

        await sb.PinPriceAsync("AAPL", 220m);
        var raised = await trader.GetJsonAsync($"/v2/orders/{trail.Str("id")}");
        Assert.Equal("new", raised.Str("status"));
        Assert.Equal("220", raised.Str("hwm"));
        Assert.Equal("215", raised.Str("stop_price"));

        await sb.PinPriceAsync("AAPL", 214m);
        var filled = await trader.GetJsonAsync($"/v2/orders/{trail.Str("id")}");
        Assert.Equal("filled", filled.Str("status"));
        Assert.Equal(214m, filled.Dec("filled_avg_price"));
    }

    [Fact]
    public async Task Trailing_percent_buy_triggers_above_the_low()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var trail = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "trailing_stop", trail_percent = "10", time_in_force = "day" });
        Assert.Equal("220", trail.Str("stop_price"));
        await sb.PinPriceAsync("AAPL", 100m);
        Assert.Equal("110", (await trader.GetJsonAsync($"/v2/orders/{trail.Str("id")}")).Str("stop_price"));
        await sb.PinPriceAsync("AAPL", 111m);
        Assert.Equal("filled", (await trader.GetJsonAsync($"/v2/orders/{trail.Str("id")}")).Str("status"));
    }

    [Fact]
    public async Task Bracket_market_entry_fills_then_take_profit_cancels_stop_loss()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var bracket = await trader.PlaceAsync(new
        {
            symbol = "AAPL", qty = "10", side = "buy", type = "market", time_in_force = "gtc", order_class = "bracket",
            take_profit = new { limit_price = "220" }, stop_loss = new { stop_price = "180", limit_price = "179" },
        });
        Assert.Equal("bracket", bracket.Str("order_class"));
        Assert.Equal("filled", bracket.Str("status"));
        var legs = bracket.GetProperty("legs");
        Assert.Equal(2, legs.GetArrayLength());
        var takeProfit = legs.EnumerateArray().Single(l => l.Str("type") == "limit");
        var stopLoss = legs.EnumerateArray().Single(l => l.Str("type") == "stop_limit");
        Assert.All(legs.EnumerateArray(), l => Assert.Equal("new", l.Str("status")));
        Assert.All(legs.EnumerateArray(), l => Assert.Equal("sell", l.Str("side")));
        Assert.Equal("220", takeProfit.Str("limit_price"));
        Assert.Equal("180", stopLoss.Str("stop_price"));
        Assert.Equal("179", stopLoss.Str("limit_price"));
        Assert.Equal("0", (await trader.GetJsonAsync("/v2/positions/AAPL")).Str("qty_available"));

        await sb.PinPriceAsync("AAPL", 221m);
        var after = await trader.GetJsonAsync($"/v2/orders/{bracket.Str("id")}");
        var tp = after.GetProperty("legs").EnumerateArray().Single(l => l.Str("id") == takeProfit.Str("id"));
        var sl = after.GetProperty("legs").EnumerateArray().Single(l => l.Str("id") == stopLoss.Str("id"));
        Assert.Equal("filled", tp.Str("status"));
        Assert.Equal("canceled", sl.Str("status"));
        Assert.Empty((await trader.GetJsonAsync("/v2/positions")).EnumerateArray());
        Assert.Equal(100000m + 210m, (await trader.GetJsonAsync("/v2/account")).Dec("cash"));
    }

    [Fact]
    public async Task Bracket_limit_entry_keeps_legs_held_until_it_fills()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var bracket = await trader.PlaceAsync(new
        {
            symbol = "AAPL", qty = "2", side = "buy", type = "limit", limit_price = "195", time_in_force = "day", order_class = "bracket",
            take_profit = new { limit_price = "210" }, stop_loss = new { stop_price = "185" },
        });
        Assert.Equal("new", bracket.Str("status"));
        Assert.All(bracket.GetProperty("legs").EnumerateArray(), l => Assert.Equal("held", l.Str("status")));

        await sb.PinPriceAsync("AAPL", 194m);
        var filled = await trader.GetJsonAsync($"/v2/orders/{bracket.Str("id")}");
        Assert.Equal("filled", filled.Str("status"));
        Assert.All(filled.GetProperty("legs").EnumerateArray(), l => Assert.Equal("new", l.Str("status")));

        await sb.PinPriceAsync("AAPL", 184m);
        var stopped = await trader.GetJsonAsync($"/v2/orders/{bracket.Str("id")}");
        Assert.Equal(["canceled", "filled"], stopped.GetProperty("legs").EnumerateArray().Select(l => l.Str("status")));
        Assert.Empty((await trader.GetJsonAsync("/v2/positions")).EnumerateArray());
    }

    [Fact]
    public async Task Canceling_a_bracket_entry_cancels_its_held_legs()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var bracket = await trader.PlaceAsync(new
        {
            symbol = "AAPL", qty = "2", side = "buy", type = "limit", limit_price = "195", time_in_force = "gtc", order_class = "bracket",
            take_profit = new { limit_price = "210" }, stop_loss = new { stop_price = "185" },
        });
        using (var cancel = await trader.DeleteAsync($"/v2/orders/{bracket.Str("id")}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }

        var after = await trader.GetJsonAsync($"/v2/orders/{bracket.Str("id")}");
        Assert.Equal("canceled", after.Str("status"));
        Assert.All(after.GetProperty("legs").EnumerateArray(), l => Assert.Equal("canceled", l.Str("status")));
    }

    [Fact]
    public async Task Oco_exit_one_side_fills_and_cancels_the_other()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "4", side = "buy", type = "market", time_in_force = "day" });

        var oco = await trader.PlaceAsync(new
        {
            symbol = "AAPL", qty = "4", side = "sell", type = "limit", time_in_force = "gtc", order_class = "oco",
            take_profit = new { limit_price = "220" }, stop_loss = new { stop_price = "190" },
        });
        Assert.Equal("new", oco.Str("status"));
        Assert.Equal("220", oco.Str("limit_price"));
        var leg = oco.GetProperty("legs")[0];
        Assert.Equal("new", leg.Str("status"));
        Assert.Equal("stop", leg.Str("type"));

        await sb.PinPriceAsync("AAPL", 189m);
        var after = await trader.GetJsonAsync($"/v2/orders/{oco.Str("id")}");
        Assert.Equal("canceled", after.Str("status"));
        Assert.Equal("filled", after.GetProperty("legs")[0].Str("status"));
    }

    [Fact]
    public async Task Oto_has_one_held_leg()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var oto = await trader.PlaceAsync(new
        {
            symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "199", time_in_force = "gtc", order_class = "oto",
            stop_loss = new { stop_price = "150" },
        });
        var legs = oto.GetProperty("legs");
        Assert.Equal(1, legs.GetArrayLength());
        Assert.Equal("held", legs[0].Str("status"));
        Assert.Equal("stop", legs[0].Str("type"));
    }

    [Fact]
    public async Task Cancel_is_204_then_422_when_no_longer_cancelable()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc" });
        using (var cancel = await trader.DeleteAsync($"/v2/orders/{order.Str("id")}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }

        var canceled = await trader.GetJsonAsync($"/v2/orders/{order.Str("id")}");
        Assert.Equal("canceled", canceled.Str("status"));
        Assert.NotEqual(JsonValueKind.Null, canceled.GetProperty("canceled_at").ValueKind);

        using (var again = await trader.DeleteAsync($"/v2/orders/{order.Str("id")}"))
        {
            await Running.AssertError(again, HttpStatusCode.UnprocessableEntity, 42210000, "order is already in \"canceled\" state");
        }

        var market = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
        using (var filled = await trader.DeleteAsync($"/v2/orders/{market.Str("id")}"))
        {
            await Running.AssertError(filled, HttpStatusCode.UnprocessableEntity, 42210000, "order is already in \"filled\" state");
        }

        using var unknown = await trader.DeleteAsync($"/v2/orders/{Guid.NewGuid()}");
        await Running.AssertError(unknown, HttpStatusCode.NotFound, 40410000, "order not found");
    }

    [Fact]
    public async Task Order_lookup_by_id_and_client_order_id()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day", client_order_id = "tv-alert-42" });
        var byClient = await trader.GetJsonAsync("/v2/orders:by_client_order_id?client_order_id=tv-alert-42");
        Assert.Equal(order.Str("id"), byClient.Str("id"));

        using (var missing = await trader.GetAsync("/v2/orders:by_client_order_id?client_order_id=nope"))
        {
            await Running.AssertError(missing, HttpStatusCode.NotFound, 40410000, "order not found");
        }

        using (var missingId = await trader.GetAsync($"/v2/orders/{Guid.NewGuid()}"))
        {
            await Running.AssertError(missingId, HttpStatusCode.NotFound, 40410000, "order not found");
        }

        // Orders are per account: another user cannot see it.
        var bob = sb.Trader(await sb.TokenAsync("bob"));
        using var foreign = await bob.GetAsync($"/v2/orders/{order.Str("id")}");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task List_orders_filters_like_alpaca()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        await sb.PinPriceAsync("MSFT", 400m);

        var filled = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
        sb.Time.Advance(TimeSpan.FromSeconds(1));
        var open1 = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc" });
        sb.Time.Advance(TimeSpan.FromSeconds(1));
        var open2 = await trader.PlaceAsync(new { symbol = "MSFT", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc" });

        static string[] Ids(JsonElement list) => list.EnumerateArray().Select(o => o.Str("id")).ToArray();

        Assert.Equal([open2.Str("id"), open1.Str("id")], Ids(await trader.GetJsonAsync("/v2/orders")));
        Assert.Equal([filled.Str("id")], Ids(await trader.GetJsonAsync("/v2/orders?status=closed")));
        Assert.Equal([filled.Str("id"), open1.Str("id"), open2.Str("id")], Ids(await trader.GetJsonAsync("/v2/orders?status=all&direction=asc")));
        Assert.Equal([open2.Str("id")], Ids(await trader.GetJsonAsync("/v2/orders?status=all&limit=1")));
        Assert.Equal([open1.Str("id"), filled.Str("id")], Ids(await trader.GetJsonAsync("/v2/orders?status=all&symbols=AAPL")));
        var after = Uri.EscapeDataString(Running.Start.AddSeconds(0.5).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([open2.Str("id"), open1.Str("id")], Ids(await trader.GetJsonAsync($"/v2/orders?status=all&after={after}")));

        using var tooMany = await trader.GetAsync("/v2/orders?limit=501");
        await Running.AssertError(tooMany, HttpStatusCode.UnprocessableEntity, 40010001);
    }

    [Fact]
    public async Task Nested_lists_legs_under_their_parent()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        var bracket = await trader.PlaceAsync(new
        {
            symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "150", time_in_force = "gtc", order_class = "bracket",
            take_profit = new { limit_price = "300" }, stop_loss = new { stop_price = "100" },
        });

        var flat = await trader.GetJsonAsync("/v2/orders?status=all");
        Assert.Equal(3, flat.GetArrayLength());
        Assert.All(flat.EnumerateArray(), o => Assert.Equal(JsonValueKind.Null, o.GetProperty("legs").ValueKind));

        var nested = await trader.GetJsonAsync("/v2/orders?status=all&nested=true");
        Assert.Equal(1, nested.GetArrayLength());
        Assert.Equal(bracket.Str("id"), nested[0].Str("id"));
        Assert.Equal(2, nested[0].GetProperty("legs").GetArrayLength());
    }

    [Fact]
    public async Task Day_orders_expire_after_the_close_and_gtc_orders_stay()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var day = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "day" });
        var gtc = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc" });
        Assert.Equal("2025-06-24T20:00:00.000000Z", day.Str("expires_at")); // 16:00 New York (EDT)

        sb.Time.Advance(TimeSpan.FromHours(6) + TimeSpan.FromMinutes(1));
        var expired = await trader.GetJsonAsync($"/v2/orders/{day.Str("id")}");
        Assert.Equal("expired", expired.Str("status"));
        Assert.Equal("2025-06-24T20:00:00.000000Z", expired.Str("expired_at"));
        Assert.Equal("new", (await trader.GetJsonAsync($"/v2/orders/{gtc.Str("id")}")).Str("status"));
    }

    [Fact]
    public async Task Ioc_limit_that_cannot_fill_is_canceled_at_once()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var ioc = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "ioc" });
        Assert.Equal("canceled", ioc.Str("status"));
        var fok = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "250", time_in_force = "fok" });
        Assert.Equal("filled", fok.Str("status"));
    }

    [Fact]
    public async Task Closing_a_position_sells_it_at_market()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "10", side = "buy", type = "market", time_in_force = "day" });

        var half = await trader.OkJsonAsync(trader.DeleteAsync("/v2/positions/AAPL?percentage=50"));
        Assert.Equal("sell", half.Str("side"));
        Assert.Equal("5", half.Str("qty"));
        Assert.Equal("5", (await trader.GetJsonAsync("/v2/positions/AAPL")).Str("qty"));

        var rest = await trader.OkJsonAsync(trader.DeleteAsync("/v2/positions/AAPL"));
        Assert.Equal("filled", rest.Str("status"));
        Assert.Empty((await trader.GetJsonAsync("/v2/positions")).EnumerateArray());
        Assert.Equal(100000m, (await trader.GetJsonAsync("/v2/account")).Dec("cash"));

        using var none = await trader.DeleteAsync("/v2/positions/AAPL");
        await Running.AssertError(none, HttpStatusCode.NotFound, 40410000);
    }

    [Fact]
    public async Task Market_order_waits_for_the_open_when_the_market_is_closed()
    {
        var (sb, trader) = await StartAsync(configure: o => o.MarketAlwaysOpen = false);
        await using var owned = sb;
        sb.Time.Advance(TimeSpan.FromHours(8)); // 18:00 New York

        var clock = await trader.GetJsonAsync("/v2/clock");
        Assert.False(clock.GetProperty("is_open").GetBoolean());
        Assert.Equal("2025-06-25T09:30:00-04:00", clock.Str("next_open"));
        Assert.Equal("2025-06-25T16:00:00-04:00", clock.Str("next_close"));

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
        Assert.Equal("accepted", order.Str("status"));

        sb.Time.Advance(TimeSpan.FromHours(16)); // 10:00 next day
        Assert.Equal("filled", (await trader.GetJsonAsync($"/v2/orders/{order.Str("id")}")).Str("status"));
    }

    [Fact]
    public async Task Replace_creates_a_new_order_and_marks_the_old_one_replaced()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        var old = await trader.PlaceAsync(new { symbol = "AAPL", qty = "2", side = "buy", type = "limit", limit_price = "150", time_in_force = "day", client_order_id = "v1" });
        using var patch = System.Net.Http.Json.JsonContent.Create(new { qty = "3", limit_price = "160", client_order_id = "v2" });
        var replacement = await trader.OkJsonAsync(trader.SendAsync(HttpMethod.Patch, $"/v2/orders/{old.Str("id")}", patch));

        Assert.NotEqual(old.Str("id"), replacement.Str("id"));
        Assert.Equal(old.Str("id"), replacement.Str("replaces"));
        Assert.Equal("3", replacement.Str("qty"));
        Assert.Equal("160", replacement.Str("limit_price"));
        Assert.Equal("v2", replacement.Str("client_order_id"));
        var replaced = await trader.GetJsonAsync($"/v2/orders/{old.Str("id")}");
        Assert.Equal("replaced", replaced.Str("status"));
        Assert.Equal(replacement.Str("id"), replaced.Str("replaced_by"));

        using var again = System.Net.Http.Json.JsonContent.Create(new { qty = "4" });
        using var refused = await trader.SendAsync(HttpMethod.Patch, $"/v2/orders/{old.Str("id")}", again);
        await Running.AssertError(refused, HttpStatusCode.UnprocessableEntity, 42210000, "order is already in \"replaced\" state");
    }

    [Fact]
    public async Task Cancel_all_orders_is_207_multi_status()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        var a = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc" });
        var b = await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "101", time_in_force = "gtc" });

        using var response = await trader.DeleteAsync("/v2/orders");
        Assert.Equal((HttpStatusCode)207, response.StatusCode);
        using var json = await Running.Json(response);
        Assert.Equal(
            new[] { a.Str("id"), b.Str("id") }.Order(StringComparer.Ordinal),
            json.RootElement.EnumerateArray().Select(e => e.Str("id")).Order(StringComparer.Ordinal));
        Assert.All(json.RootElement.EnumerateArray(), e => Assert.Equal(200, e.GetProperty("status").GetInt32()));
        Assert.Empty((await trader.GetJsonAsync("/v2/orders")).EnumerateArray());
    }

    [Fact]
    public async Task Fill_activities_page_with_page_token()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;
        for (var i = 0; i < 3; i++)
        {
            await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
            sb.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var page1 = await trader.GetJsonAsync("/v2/account/activities/FILL?page_size=2&direction=asc");
        Assert.Equal(2, page1.GetArrayLength());
        var page2 = await trader.GetJsonAsync($"/v2/account/activities/FILL?page_size=2&direction=asc&page_token={Uri.EscapeDataString(page1[1].Str("id"))}");
        Assert.Equal(1, page2.GetArrayLength());
        Assert.Equal(3, (await trader.GetJsonAsync("/v2/account/activities?activity_types=FILL")).GetArrayLength());
        Assert.Empty((await trader.GetJsonAsync("/v2/account/activities/DIV")).EnumerateArray());
    }

    [Fact]
    public async Task Unsimulated_endpoints_are_404_in_alpacas_shape()
    {
        var (sb, trader) = await StartAsync();
        await using var owned = sb;

        using var response = await trader.GetAsync("/v2/watchlists");
        await Running.AssertError(response, HttpStatusCode.NotFound, 40410000);
    }
}
