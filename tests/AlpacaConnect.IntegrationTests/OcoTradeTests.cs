using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

/// <summary>Alpaca's oco order (an exit: take-profit limit and stop-loss, one cancels the other) goes through as documented.</summary>
public sealed class OcoTradeTestsOnServer() : OcoTradeTests(HostKind.Server);

public sealed class OcoTradeTestsOnFunctions() : OcoTradeTests(HostKind.Functions);

public abstract class OcoTradeTests(HostKind host)
{
    private static readonly string[] Settled = ["submitted", "partially_filled", "filled", "canceled", "expired", "rejected", "failed"];

    [SkippableFact]
    public async Task A_documented_sell_oco_exit_is_accepted_and_placed_as_one_order_at_alpaca()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("oli");
        await s.SetPriceAsync("AAPL", "300.00");
        // The position the oco exits (the Sandbox does not short).
        var entry = await s.TradeAsync("oli", new { symbol = "AAPL", side = "buy", type = "market", qty = "10", time_in_force = "day" });
        Assert.Equal("filled", (await s.WaitForTradeAsync(entry, Settled)).GetProperty("status").GetString());

        // Alpaca's example: a sell, type limit, order_class oco, no top-level limit_price.
        var id = await s.TradeAsync("oli", new
        {
            symbol = "AAPL", side = "sell", type = "limit", qty = "10", time_in_force = "gtc", order_class = "oco",
            take_profit = new { limit_price = "301.00" },
            stop_loss = new { stop_price = "299.00", limit_price = "298.00" },
        });
        var trade = await s.WaitForTradeAsync(id, Settled);

        Assert.Equal("submitted", trade.GetProperty("status").GetString());
        var oco = Assert.Single(await s.SandboxOrdersAsync("oli"), o => o.GetProperty("order_class").GetString() == "oco");
        Assert.Equal(trade.GetProperty("alpaca_order_id").GetString(), oco.GetProperty("id").GetString());
        Assert.Equal("acf-" + id[(id.IndexOf('~') + 1)..], oco.GetProperty("client_order_id").GetString());
        Assert.Equal("sell", oco.GetProperty("side").GetString());
        Assert.Equal(2, (await s.SandboxOrdersAsync("oli")).Count); // the entry and the oco: nothing else was placed
    }
}
