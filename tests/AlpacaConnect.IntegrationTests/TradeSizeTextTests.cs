using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

/// <summary>Sizes and prices travel to Alpaca as the exact text the caller gave.</summary>
public sealed class TradeSizeTextTests
{
    private static readonly string[] Settled = ["submitted", "partially_filled", "filled", "canceled", "expired", "rejected", "failed"];

    [Fact]
    public async Task A_qty_of_1_0_reaches_alpaca_as_1_0_and_the_trade_shows_it_as_given()
    {
        var wire = new OrderBodies();
        await using var s = await TestSystem.StartAsync(services => services.AddCrashingAlpacaCalls(wire));
        await s.ConnectAsync("quinn");

        var id = await s.TradeAsync("quinn", new { symbol = "AAPL", side = "buy", type = "limit", qty = "1.0", limit_price = "100.50", time_in_force = "gtc" });
        var trade = await s.WaitForTradeAsync(id, Settled);

        Assert.Equal("1.0", trade.GetProperty("order").GetProperty("qty").GetString());
        Assert.Equal("100.50", trade.GetProperty("order").GetProperty("limit_price").GetString());
        // What went over the wire to the Sandbox, and what it made of it.
        using var sent = JsonDocument.Parse(Assert.Single(wire.Bodies));
        Assert.Equal("1.0", sent.RootElement.GetProperty("qty").GetString());
        Assert.Equal("100.50", sent.RootElement.GetProperty("limit_price").GetString());
        var order = Assert.Single(await s.SandboxOrdersAsync("quinn"));
        Assert.Equal(1m, decimal.Parse(order.GetProperty("qty").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(trade.GetProperty("alpaca_order_id").GetString(), order.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_size_not_in_plain_decimal_notation_is_refused_at_the_edge()
    {
        await using var s = await TestSystem.StartAsync();
        await s.ConnectAsync("rex");
        foreach (var qty in new[] { "\"1e2\"", "1E2", "\"+1\"", "\" 1\"", "\"1.\"" })
        {
            var response = await s.PostTradeAsync(JsonDocument.Parse($$$"""{"user_id":"rex","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":{{{qty}}},"time_in_force":"day"}}""").RootElement);
            await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.BadRequest, "malformed-body");
        }
        await Task.Delay(300); // an order placed inline would be at the Sandbox by now
        Assert.Empty(await s.SandboxOrdersAsync("rex"));
    }
}

/// <summary>Records the body of every order submission on its way to the Sandbox (and changes nothing).</summary>
internal sealed class OrderBodies : DelegatingHandler
{
    public ConcurrentQueue<string> Bodies { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/v2/orders", StringComparison.Ordinal) && request.Content is not null)
            Bodies.Enqueue(await request.Content.ReadAsStringAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
