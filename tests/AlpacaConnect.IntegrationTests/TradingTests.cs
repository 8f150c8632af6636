using System.Net;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class TradingFixture<THost> : SystemFixture<THost> where THost : IHostChoice
{
    protected override async Task PrepareAsync(TestSystem system)
    {
        foreach (var user in new[] { "tom", "una", "vic", "wes", "xia", "yan" })
            await system.ConnectAsync(user);
    }
}

public sealed class TradingTestsOnServer(TradingFixture<OnServer> fixture) : TradingTests<OnServer>(fixture);

public sealed class TradingTestsOnFunctions(TradingFixture<OnFunctions> fixture) : TradingTests<OnFunctions>(fixture);

/// <summary>Trades end to end: the app (Server, or the Functions app under a real host) + queue + Sandbox over HTTP + Azurite, to their terminal status.</summary>
public abstract class TradingTests<THost>(TradingFixture<THost> fixture) : IClassFixture<TradingFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;
    private static readonly string[] Terminal = ["filled", "canceled", "expired", "rejected", "failed"];

    [SkippableFact]
    public async Task A_market_order_by_qty_is_filled_with_its_history_and_fill_details()
    {
        var id = await S.TradeAsync("tom", new { symbol = "AAPL", side = "buy", type = "market", qty = "2", time_in_force = "day" });
        Assert.StartsWith("tom~", id);
        var trade = await S.WaitForTradeAsync(id, Terminal, runSync: true);

        Assert.Equal("filled", trade.GetProperty("status").GetString());
        Assert.Equal("2", trade.GetProperty("filled_qty").GetString());
        Assert.True(decimal.Parse(trade.GetProperty("filled_avg_price").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("acf-" + id[4..], trade.GetProperty("client_order_id").GetString());
        var history = trade.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("status").GetString()).ToList();
        Assert.Equal("accepted", history[0]);
        Assert.Equal("filled", history[^1]);

        var orders = await S.SandboxOrdersAsync("tom");
        var order = Assert.Single(orders, o => o.GetProperty("client_order_id").GetString() == trade.GetProperty("client_order_id").GetString());
        Assert.Equal(trade.GetProperty("alpaca_order_id").GetString(), order.GetProperty("id").GetString());
    }

    [SkippableFact]
    public async Task A_notional_order_is_filled_fractionally()
    {
        var id = await S.TradeAsync("tom", new { symbol = "VTI", side = "buy", type = "market", notional = 50, time_in_force = "day" });
        var trade = await S.WaitForTradeAsync(id, Terminal, runSync: true);
        Assert.Equal("filled", trade.GetProperty("status").GetString());
        Assert.Equal("50", trade.GetProperty("order").GetProperty("notional").GetString());
        Assert.NotEqual("0", trade.GetProperty("filled_qty").GetString());
    }

    [SkippableTheory]
    [InlineData("limit", "{\"limit_price\":\"{below}\"}")]
    [InlineData("stop", "{\"stop_price\":\"{above}\"}")]
    [InlineData("stop_limit", "{\"stop_price\":\"{above}\",\"limit_price\":\"{above2}\"}")]
    [InlineData("trailing_stop", "{\"trail_percent\":\"1\"}")]
    public async Task Resting_orders_are_followed_by_the_status_sync_until_they_fill(string type, string prices)
    {
        // MSFT is pinned so the test decides when the order crosses.
        await S.SetPriceAsync("MSFT", "400.00");
        var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(prices.Replace("{below}", "390.00").Replace("{above2}", "420.00").Replace("{above}", "410.00"))!;
        var order = new Dictionary<string, object> { ["symbol"] = "MSFT", ["side"] = type == "trailing_stop" ? "sell" : "buy", ["type"] = type, ["qty"] = "1", ["time_in_force"] = "gtc" };
        foreach (var (k, v) in fields)
            order[k] = v;
        if (type == "trailing_stop")
            await S.TradeAsync("una", new { symbol = "MSFT", side = "buy", type = "market", qty = "1", time_in_force = "day" });

        var id = await S.TradeAsync("una", order);
        var working = await S.WaitForTradeAsync(id, ["submitted"], runSync: true);
        Assert.NotNull(working.GetProperty("alpaca_order_id").GetString());

        // Cross the trigger: down for a buy limit, up for buy stops, down past the trail for the sell.
        await S.SetPriceAsync("MSFT", type switch { "limit" => "389.00", "trailing_stop" => "380.00", _ => "411.00" });
        var done = await S.WaitForTradeAsync(id, Terminal, runSync: true);
        Assert.Equal("filled", done.GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task A_bracket_order_fills_its_entry_and_reports_it()
    {
        await S.SetPriceAsync("NVDA", "100.00");
        var id = await S.TradeAsync("vic", new
        {
            symbol = "NVDA", side = "buy", type = "market", qty = "3", time_in_force = "gtc", order_class = "bracket",
            take_profit = new { limit_price = "120.00" }, stop_loss = new { stop_price = "90.00", limit_price = "89.50" },
        });
        var trade = await S.WaitForTradeAsync(id, Terminal, runSync: true);
        Assert.Equal("filled", trade.GetProperty("status").GetString());
        var order = Assert.Single(await S.SandboxOrdersAsync("vic"), o => o.GetProperty("id").GetString() == trade.GetProperty("alpaca_order_id").GetString());
        Assert.Equal("bracket", order.GetProperty("order_class").GetString());
        Assert.Equal(2, order.GetProperty("legs").GetArrayLength());
    }

    [SkippableFact]
    public async Task The_same_key_and_body_is_one_trade_and_one_order_and_another_body_is_409()
    {
        var key = "order-" + Guid.NewGuid();
        var order = new { symbol = "SPY", side = "buy", type = "market", qty = "1", time_in_force = "day" };
        var first = await S.TradeAsync("wes", order, key);
        // Same body written differently (number vs string, key order) is still the same trade.
        var again = await S.PostTradeAsync(JsonDocument.Parse("""{"env":"paper","order":{"time_in_force":"day","qty":1,"type":"market","side":"buy","symbol":"SPY"},"user_id":"wes"}""").RootElement, key);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        using (var doc = JsonDocument.Parse(await again.Content.ReadAsStringAsync()))
            Assert.Equal(first, doc.RootElement.GetProperty("id").GetString());

        var other = await S.PostTradeAsync(new { user_id = "wes", env = "paper", order = order with { qty = "2" } }, key);
        await ProblemAssert.AssertProblemAsync(other, HttpStatusCode.Conflict, "idempotency-key-reused");

        await S.WaitForTradeAsync(first, Terminal, runSync: true);
        Assert.Single(await S.SandboxOrdersAsync("wes"), o => o.GetProperty("symbol").GetString() == "SPY");
    }

    [SkippableFact]
    public async Task The_same_queue_message_delivered_twice_places_one_order()
    {
        var id = await S.TradeAsync("xia", new { symbol = "QQQ", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        Assert.True(TradeIds.TryParse(id, out var user, out var row));
        var trade = await S.Services.GetRequiredService<TradeStore>().GetAsync(user, row, default);
        // The queue hands the same message out again (at-least-once): a copy with the accept-time ETag.
        var copy = TradeExecution.For(TradeEntity.Accepted(user, row, trade!.Env, trade.Order, trade.CreatedAt, trade.BodyHash)) with { ETag = "W/\"stale\"" };
        await S.Services.GetRequiredService<TradeQueue>().EnqueueAsync(copy, null, default);
        await S.Services.GetRequiredService<TradeQueue>().EnqueueAsync(copy, null, default);

        await S.WaitForTradeAsync(id, Terminal, runSync: true);
        await Task.Delay(1500);
        Assert.Single(await S.SandboxOrdersAsync("xia"), o => o.GetProperty("client_order_id").GetString() == "acf-" + row);
        Assert.Equal("filled", (await S.GetTradeAsync(id)).GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task Canceling_a_working_order_cancels_it_at_alpaca()
    {
        await S.SetPriceAsync("AMZN", "200.00");
        var id = await S.TradeAsync("yan", new { symbol = "AMZN", side = "buy", type = "limit", limit_price = "150.00", qty = "1", time_in_force = "gtc" });
        await S.WaitForTradeAsync(id, ["submitted"], runSync: true);

        var cancel = await S.Api.DeleteAsync("/api/trades/" + id);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var trade = await S.WaitForTradeAsync(id, Terminal, runSync: true);
        Assert.Equal("canceled", trade.GetProperty("status").GetString());

        await ProblemAssert.AssertProblemAsync(await S.Api.DeleteAsync("/api/trades/" + id), HttpStatusCode.Conflict, "trade-closed");
        await ProblemAssert.AssertProblemAsync(await S.Api.DeleteAsync("/api/trades/yan~" + new string('0', 32)), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync("/api/trades/nonsense"), HttpStatusCode.NotFound, "not-found");
    }

    [SkippableFact]
    public async Task Chat_bots_read_the_account_positions_and_orders_through_the_users_token()
    {
        var id = await S.TradeAsync("tom", new { symbol = "TSLA", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        await S.WaitForTradeAsync(id, Terminal, runSync: true);

        using var account = JsonDocument.Parse(await S.Api.GetStringAsync("/api/connections/tom/paper/account"));
        Assert.Equal("ACTIVE", account.RootElement.GetProperty("status").GetString());
        using var positions = JsonDocument.Parse(await S.Api.GetStringAsync("/api/connections/tom/paper/positions"));
        Assert.Contains(positions.RootElement.EnumerateArray(), p => p.GetProperty("symbol").GetString() == "TSLA");
        using var orders = JsonDocument.Parse(await S.Api.GetStringAsync("/api/connections/tom/paper/orders?status=all&limit=100"));
        Assert.Contains(orders.RootElement.EnumerateArray(), o => o.GetProperty("client_order_id").GetString()!.StartsWith("acf-", StringComparison.Ordinal));

        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync("/api/connections/tom/paper/orders?limit=501"), HttpStatusCode.UnprocessableEntity, "validation", "limit");
        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync("/api/connections/nobody/paper/account"), HttpStatusCode.NotFound, "not-found");
    }

    public static TheoryData<string, string> InvalidOrders => new()
    {
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","notional":"10","time_in_force":"day"}""", "order.notional" },
        { """{"symbol":"AAPL","side":"buy","type":"market","time_in_force":"day"}""", "order.qty" },
        { """{"symbol":"AAPL","side":"buy","type":"limit","limit_price":"100","notional":"10","time_in_force":"day"}""", "order.notional" },
        { """{"symbol":"AAPL","side":"buy","type":"market","notional":"10","time_in_force":"gtc"}""", "order.notional" },
        { """{"symbol":"AAPL","side":"buy","type":"limit","limit_price":"100","qty":"0.5","time_in_force":"day"}""", "order.qty" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"0.5","time_in_force":"gtc"}""", "order.qty" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day","extended_hours":true}""", "order.extended_hours" },
        { """{"symbol":"AAPL","side":"buy","type":"limit","limit_price":"100","qty":"1","time_in_force":"ioc","extended_hours":true}""", "order.extended_hours" },
        { """{"symbol":"AAPL","side":"buy","type":"limit","qty":"1","time_in_force":"day"}""", "order.limit_price" },
        { """{"symbol":"AAPL","side":"buy","type":"stop","qty":"1","time_in_force":"day"}""", "order.stop_price" },
        { """{"symbol":"AAPL","side":"buy","type":"stop_limit","stop_price":"100","qty":"1","time_in_force":"day"}""", "order.limit_price" },
        { """{"symbol":"AAPL","side":"sell","type":"trailing_stop","qty":"1","time_in_force":"day"}""", "order.trail_price" },
        { """{"symbol":"AAPL","side":"sell","type":"trailing_stop","trail_price":"1","trail_percent":"1","qty":"1","time_in_force":"day"}""", "order.trail_price" },
        { """{"symbol":"AAPL","side":"buy","type":"market","limit_price":"100","qty":"1","time_in_force":"day"}""", "order.limit_price" },
        { """{"symbol":"AAPL","side":"buy","type":"trailing_stop","trail_percent":"1","qty":"1","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "order.type" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day","order_class":"bracket","stop_loss":{"stop_price":"100"}}""", "order.take_profit.limit_price" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":"100"},"stop_loss":{"stop_price":"200"}}""", "order.take_profit.limit_price" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"ioc","order_class":"bracket","take_profit":{"limit_price":"300"},"stop_loss":{"stop_price":"100"}}""", "order.time_in_force" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day","take_profit":{"limit_price":"300"}}""", "order.order_class" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"-1","time_in_force":"day"}""", "order.qty" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"0","time_in_force":"day"}""", "order.qty" },
        { """{"symbol":"AAPL","side":"buy","type":"limit","limit_price":"99999999","qty":"1","time_in_force":"day"}""", "order.limit_price" },
        { """{"symbol":"AAPL","side":"buy","type":"limit","limit_price":"100.001","qty":"1","time_in_force":"day"}""", "order.limit_price" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"100000000000","time_in_force":"day"}""", "order.qty" },
        { """{"symbol":"aapl; drop","side":"buy","type":"market","qty":"1","time_in_force":"day"}""", "order.symbol" },
        { """{"symbol":"AAPL","side":"hold","type":"market","qty":"1","time_in_force":"day"}""", "order.side" },
        { """{"symbol":"AAPL","side":"buy","type":"moon","qty":"1","time_in_force":"day"}""", "order.type" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"forever"}""", "order.time_in_force" },
        { """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day","client_order_id":"mine"}""", "order.client_order_id" },
    };

    [SkippableTheory]
    [MemberData(nameof(InvalidOrders))]
    public async Task Every_alpaca_rule_is_enforced_at_the_edge_before_anything_is_stored_or_queued(string order, string field)
    {
        var response = await S.Api.SendAsync(TradeRequest("""{"user_id":"una","env":"paper","order":""" + order + "}"));
        await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "validation", field);
        await AssertNothingStoredAsync("una-bad");
    }

    [SkippableTheory]
    [InlineData("{\"user_id\":\"una\",\"env\":\"paper\",\"order\":{\"symbol\":\"AAPL\"", 400, "malformed-body")]
    [InlineData("""{"user_id":"una","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day","colour":"red"}}""", 400, "malformed-body")]
    [InlineData("""{"user_id":"una","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":true,"time_in_force":"day"}}""", 400, "malformed-body")]
    [InlineData("""{"user_id":"una","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"lots","time_in_force":"day"}}""", 400, "malformed-body")]
    [InlineData("""{"user_id":"una","env":"paper","order":{"symbol":7,"side":"buy","type":"market","qty":"1","time_in_force":"day"}}""", 400, "malformed-body")]
    [InlineData("""{"user_id":"una","env":"paper"}""", 400, "malformed-body")]
    [InlineData("""{"user_id":"ghost","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day"}}""", 422, "validation")]
    [InlineData("""{"user_id":"una","env":"live","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day"}}""", 422, "validation")]
    [InlineData("""{"user_id":"una","env":"demo","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day"}}""", 422, "validation")]
    public async Task Bad_trade_input_is_a_4xx_problem_and_stores_and_queues_nothing(string body, int status, string kind)
    {
        await ProblemAssert.AssertProblemAsync(await S.Api.SendAsync(TradeRequest(body)), (HttpStatusCode)status, kind);
        await AssertNothingStoredAsync();
    }

    [SkippableFact]
    public async Task A_trade_without_an_idempotency_key_is_refused()
    {
        var response = await S.Api.PostAsync("/api/trades", new StringContent("""{"user_id":"una","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day"}}""", Encoding.UTF8, "application/json"));
        await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.BadRequest, "idempotency-key");
        await AssertNothingStoredAsync();
    }

    private static HttpRequestMessage TradeRequest(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return request;
    }

    /// <summary>No trade row for "una" beyond what her successful tests made, and the queue is empty.</summary>
    private async Task AssertNothingStoredAsync(string _ = "")
    {
        var tradesForGhost = 0;
        await foreach (var __ in S.Table(Tables.Trades).QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "ghost"))
            tradesForGhost++;
        Assert.Equal(0, tradesForGhost);
        var unaRows = 0;
        await foreach (var row in S.Table(Tables.Trades).QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "una"))
            if (row.GetString("OrderJson") is { } json && json.Contains("\"AAPL\"", StringComparison.Ordinal))
                unaRows++;
        Assert.Equal(0, unaRows);
    }
}
