using System.Net;

namespace AlpacaConnect.Sandbox.Tests;

public sealed class OrderValidationTests
{
    [Theory]
    [InlineData("""{"symbol":"AAPL","qty":"1","notional":"100","side":"buy","type":"market","time_in_force":"day"}""", "only one of qty or notional can be specified")]
    [InlineData("""{"symbol":"AAPL","side":"buy","type":"market","time_in_force":"day"}""", "qty or notional is required")]
    [InlineData("""{"symbol":"AAPL","qty":"0","side":"buy","type":"market","time_in_force":"day"}""", "qty must be > 0")]
    [InlineData("""{"symbol":"AAPL","qty":"-3","side":"buy","type":"market","time_in_force":"day"}""", "qty must be > 0")]
    [InlineData("""{"symbol":"AAPL","notional":"0","side":"buy","type":"market","time_in_force":"day"}""", "notional must be > 0")]
    [InlineData("""{"symbol":"AAPL","notional":"100","side":"buy","type":"limit","limit_price":"150","time_in_force":"day"}""", "notional orders must be market orders")]
    [InlineData("""{"symbol":"AAPL","notional":"100","side":"buy","type":"market","time_in_force":"gtc"}""", "notional orders must be day orders")]
    [InlineData("""{"symbol":"AAPL","qty":"0.5","side":"buy","type":"limit","limit_price":"150","time_in_force":"day"}""", "fractional orders must be market orders")]
    [InlineData("""{"symbol":"AAPL","qty":"0.5","side":"buy","type":"market","time_in_force":"gtc"}""", "fractional orders must be day orders")]
    [InlineData("""{"symbol":"AAPL","qty":"0.5","side":"buy","type":"market","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "fractional orders must be simple orders")]
    [InlineData("""{"symbol":"BRK.A","qty":"0.01","side":"buy","type":"market","time_in_force":"day"}""", "asset BRK.A is not fractionable")]
    [InlineData("""{"symbol":"BRK.A","notional":"100","side":"buy","type":"market","time_in_force":"day"}""", "asset BRK.A is not fractionable")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","extended_hours":true}""", "extended hours orders must be limit orders with time_in_force day or gtc")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"limit","limit_price":"150","time_in_force":"ioc","extended_hours":true}""", "extended hours orders must be limit orders with time_in_force day or gtc")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"limit","time_in_force":"day"}""", "limit_price is required")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"stop_limit","stop_price":"200","time_in_force":"day"}""", "limit_price is required")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"stop","time_in_force":"day"}""", "stop_price is required")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"stop_limit","limit_price":"200","time_in_force":"day"}""", "stop_price is required")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"limit","limit_price":"-1","time_in_force":"day"}""", "limit_price must be > 0")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"sell","type":"trailing_stop","trail_price":"1","trail_percent":"1","time_in_force":"day"}""", "only one of trail_price or trail_percent can be specified")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"sell","type":"trailing_stop","time_in_force":"day"}""", "trail_price or trail_percent is required")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","order_class":"bracket","stop_loss":{"stop_price":"100"}}""", "bracket orders require take_profit.limit_price")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"300"}}""", "bracket orders require stop_loss.stop_price")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"trailing_stop","trail_percent":"2","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "bracket orders must be market or limit orders")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"stop","stop_price":"200","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "bracket orders must be market or limit orders")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"ioc","order_class":"bracket","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "bracket orders must be day or gtc orders")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"limit","limit_price":"150","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"140"},"stop_loss":{"stop_price":"100"}}""", "take_profit.limit_price must be >= base_price + 0.01")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"limit","limit_price":"150","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"160"},"stop_loss":{"stop_price":"155"}}""", "stop_loss.stop_price must be <= base_price - 0.01")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","order_class":"oto"}""", "oto orders require either take_profit.limit_price or stop_loss.stop_price")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"sell","type":"market","time_in_force":"day","order_class":"oco","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "oco orders must be limit orders")]
    [InlineData("""{"symbol":"NOPE","qty":"1","side":"buy","type":"market","time_in_force":"day"}""", "asset not found")]
    [InlineData("""{"symbol":"HALT","qty":"1","side":"buy","type":"market","time_in_force":"day"}""", "asset HALT is not tradable")]
    [InlineData("""{"qty":"1","side":"buy","type":"market","time_in_force":"day"}""", "symbol is required")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"long","type":"market","time_in_force":"day"}""", "invalid side")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"best","time_in_force":"day"}""", "invalid order type")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"week"}""", "invalid time_in_force")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","order_class":"fancy"}""", "invalid order_class")]
    [InlineData("""{"symbol":"AAPL","qty":"abc","side":"buy","type":"market","time_in_force":"day"}""", "invalid qty")]
    public async Task Invalid_orders_are_422_with_alpacas_message(string body, string message)
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());

        using var response = await trader.PostJsonAsync("/v2/orders", body);
        await Running.AssertError(response, HttpStatusCode.UnprocessableEntity, 40010001, message);
        Assert.Equal(0, await AdminOrderCount(sb));
    }

    [Fact]
    public async Task Client_order_id_longer_than_128_is_422()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());

        using var response = await trader.OrderAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day", client_order_id = new string('x', 129) });
        await Running.AssertError(response, HttpStatusCode.UnprocessableEntity, 40010001, "client_order_id must be no more than 128 characters");
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day", client_order_id = new string('x', 128) });
    }

    [Fact]
    public async Task Numbers_are_accepted_as_json_numbers_too()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());

        var order = await trader.PlaceAsync(new { symbol = "AAPL", qty = 2, side = "buy", type = "limit", limit_price = 150.5, time_in_force = "gtc" });
        Assert.Equal("2", order.Str("qty"));
        Assert.Equal("150.5", order.Str("limit_price"));
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());

        using var response = await trader.PostJsonAsync("/v2/orders", "{\"symbol\":");
        await Running.AssertError(response, HttpStatusCode.BadRequest, 40010000);
    }

    [Fact]
    public async Task Duplicate_client_order_id_is_422_even_after_cancel()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());
        var limit = new { symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc", client_order_id = "my-key-1" };

        var first = await trader.PlaceAsync(limit);
        Assert.Equal("my-key-1", first.Str("client_order_id"));
        using (var again = await trader.OrderAsync(limit))
        {
            await Running.AssertError(again, HttpStatusCode.UnprocessableEntity, 40010001, "client_order_id must be unique");
        }

        using (var cancel = await trader.DeleteAsync($"/v2/orders/{first.Str("id")}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }

        using (var afterCancel = await trader.OrderAsync(limit))
        {
            await Running.AssertError(afterCancel, HttpStatusCode.UnprocessableEntity, 40010001, "client_order_id must be unique");
        }

        Assert.Equal(1, await AdminOrderCount(sb));

        // Unique per account: another user may use the same key.
        var bob = sb.Trader(await sb.TokenAsync("bob"));
        await bob.PlaceAsync(limit);
    }

    [Fact]
    public async Task Read_only_token_cannot_trade()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync(scope: ""));

        await trader.GetJsonAsync("/v2/account");
        using var response = await trader.OrderAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
        await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "access token is not authorized for this scope");
    }

    [Fact]
    public async Task Buy_beyond_buying_power_is_403_with_details()
    {
        await using var sb = await Running.StartAsync(o => o.StartingCash = 1000m);
        await sb.PinPriceAsync("AAPL", 200m);
        var trader = sb.Trader(await sb.TokenAsync());

        using var response = await trader.OrderAsync(new { symbol = "AAPL", qty = "6", side = "buy", type = "market", time_in_force = "day" });
        await Running.AssertError(response, HttpStatusCode.Forbidden, 40310000, "insufficient buying power");
        using var json = await Running.Json(response);
        Assert.Equal("1000", json.RootElement.Str("buying_power"));
        Assert.Equal("1200", json.RootElement.Str("cost_basis"));

        // Open buy orders use up buying power too.
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "4", side = "buy", type = "limit", limit_price = "150", time_in_force = "gtc" });
        var account = await trader.GetJsonAsync("/v2/account");
        Assert.Equal(400m, account.Dec("buying_power"));
        using var second = await trader.OrderAsync(new { symbol = "AAPL", qty = "3", side = "buy", type = "market", time_in_force = "day" });
        await Running.AssertError(second, HttpStatusCode.Forbidden, 40310000, "insufficient buying power");
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "2", side = "buy", type = "market", time_in_force = "day" });
    }

    [Fact]
    public async Task Sell_beyond_position_is_403_insufficient_qty()
    {
        await using var sb = await Running.StartAsync();
        await sb.PinPriceAsync("AAPL", 200m);
        var trader = sb.Trader(await sb.TokenAsync());

        using (var none = await trader.OrderAsync(new { symbol = "AAPL", qty = "1", side = "sell", type = "market", time_in_force = "day" }))
        {
            await Running.AssertError(none, HttpStatusCode.Forbidden, 40310000, "insufficient qty available for order (requested: 1, available: 0)");
            using var json = await Running.Json(none);
            Assert.Equal("AAPL", json.RootElement.Str("symbol"));
        }

        await trader.PlaceAsync(new { symbol = "AAPL", qty = "5", side = "buy", type = "market", time_in_force = "day" });
        await trader.PlaceAsync(new { symbol = "AAPL", qty = "3", side = "sell", type = "limit", limit_price = "300", time_in_force = "gtc" });

        // 5 held, 3 promised to the open sell: only 2 left.
        using var tooMany = await trader.OrderAsync(new { symbol = "AAPL", qty = "3", side = "sell", type = "market", time_in_force = "day" });
        await Running.AssertError(tooMany, HttpStatusCode.Forbidden, 40310000, "insufficient qty available for order (requested: 3, available: 2)");
        var position = await trader.GetJsonAsync("/v2/positions/AAPL");
        Assert.Equal("2", position.Str("qty_available"));
    }

    internal static async Task<int> AdminOrderCount(Running sb, string username = "sandbox-user")
    {
        using var response = await sb.Http.GetAsync(new Uri($"/sandbox/admin/orders?username={username}", UriKind.Relative));
        using var json = await Running.Json(response);
        return json.RootElement.GetProperty("count").GetInt32();
    }
}
