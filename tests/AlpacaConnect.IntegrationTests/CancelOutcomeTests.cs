using System.Net;
using System.Text.Json;
using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

/// <summary>A cancel records what Alpaca says at once, and an ended connection never contradicts Alpaca's status.</summary>
public sealed class CancelOutcomeTestsOnServer() : CancelOutcomeTests(HostKind.Server);

public sealed class CancelOutcomeTestsOnFunctions() : CancelOutcomeTests(HostKind.Functions);

public abstract class CancelOutcomeTests(HostKind host)
{
    private static readonly string[] Settled = ["submitted", "partially_filled", "filled", "canceled", "expired", "rejected", "failed"];

    private static async Task<string> RestingLimitBuyAsync(TestSystem s, string user)
    {
        await s.SetPriceAsync("AMZN", "200.00");
        var id = await s.TradeAsync(user, new { symbol = "AMZN", side = "buy", type = "limit", limit_price = "150.00", qty = "1", time_in_force = "gtc" });
        Assert.Equal("submitted", (await s.WaitForTradeAsync(id, Settled)).GetProperty("status").GetString());
        return id;
    }

    [SkippableFact]
    public async Task Deleting_a_working_trade_records_alpacas_canceled_status_without_waiting_for_the_sync()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("cai");
        var id = await RestingLimitBuyAsync(s, "cai");

        var response = await s.Api.DeleteAsync("/api/trades/" + id);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using (var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            Assert.Equal("canceled", answer.RootElement.GetProperty("status").GetString());
            Assert.Equal("canceled", answer.RootElement.GetProperty("alpaca_status").GetString());
        }

        // No sync has run: the trade shows Alpaca's answer already.
        var trade = await s.GetTradeAsync(id);
        Assert.Equal("canceled", trade.GetProperty("status").GetString());
        Assert.True(trade.GetProperty("cancel_requested").GetBoolean());
        Assert.Equal("canceled", Assert.Single(await s.SandboxOrdersAsync("cai")).GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task A_canceled_trade_stays_canceled_when_the_user_disconnects_before_the_next_sync()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("dov");
        var id = await RestingLimitBuyAsync(s, "dov");

        Assert.Equal(HttpStatusCode.Accepted, (await s.Api.DeleteAsync("/api/trades/" + id)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.DeleteAsync("/api/connections/dov/paper")).StatusCode);
        await s.SyncAsync();

        Assert.Equal("canceled", (await s.GetTradeAsync(id)).GetProperty("status").GetString());
        Assert.Equal("canceled", Assert.Single(await s.SandboxOrdersAsync("dov")).GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task An_ended_connection_does_not_fail_a_trade_whose_order_alpaca_holds_and_a_reconnect_follows_it_again()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("eva");
        var id = await RestingLimitBuyAsync(s, "eva");
        var alpacaStatus = (await s.GetTradeAsync(id)).GetProperty("alpaca_status").GetString();

        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.DeleteAsync("/api/connections/eva/paper")).StatusCode);
        await s.SyncAsync();
        await s.SyncAsync();

        // The order is working at Alpaca: the trade keeps Alpaca's status and says why it is not followed.
        var trade = await s.GetTradeAsync(id);
        Assert.Equal("submitted", trade.GetProperty("status").GetString());
        Assert.Equal(alpacaStatus, trade.GetProperty("alpaca_status").GetString());
        var notes = trade.GetProperty("history").EnumerateArray().Select(h => h.TryGetProperty("detail", out var d) ? d.GetString() : null).ToList();
        Assert.Single(notes, n => n?.Contains("connection ended", StringComparison.Ordinal) == true);

        // The order fills at Alpaca meanwhile; once the user reconnects, the sync sees it.
        await s.SetPriceAsync("AMZN", "140.00");
        await s.ConnectAsync("eva");
        var filled = await s.WaitForTradeAsync(id, ["filled", "failed"], runSync: true);
        Assert.Equal("filled", filled.GetProperty("status").GetString());
    }
}
