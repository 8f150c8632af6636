using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

public sealed class OrderFollowUpTestsOnServer() : OrderFollowUpTests(HostKind.Server);

public sealed class OrderFollowUpTestsOnFunctions() : OrderFollowUpTests(HostKind.Functions);

/// <summary>
/// A fill and a cancel that happen at Alpaca (the Sandbox) after the order was submitted reach the
/// webhook receiver through the follow-up checks, on both hosts, with the status sync never run
/// (its timer never fires in tests).
/// </summary>
public abstract class OrderFollowUpTests(HostKind host)
{
    [SkippableFact]
    public async Task A_fill_and_a_cancel_at_alpaca_are_published_within_the_follow_up_window_without_the_sync()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var s = await TestSystem.StartAsync(host: host);
        var subscribed = await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = receiver.Url("/orders"), event_types = new[] { "order.filled", "order.canceled" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        await s.ConnectAsync("fay");
        await s.SetPriceAsync("META", "500.00");
        await s.SetPriceAsync("AMZN", "200.00");

        var toFill = await s.TradeAsync("fay", new { symbol = "META", side = "buy", type = "limit", limit_price = "400.00", qty = "1", time_in_force = "gtc" });
        var toCancel = await s.TradeAsync("fay", new { symbol = "AMZN", side = "buy", type = "limit", limit_price = "150.00", qty = "1", time_in_force = "gtc" });
        var filling = await s.WaitForTradeAsync(toFill, ["submitted"], runSync: false);
        var canceling = await s.WaitForTradeAsync(toCancel, ["submitted"], runSync: false);

        // At Alpaca: the price crosses the first limit; the account holder cancels the second order in Alpaca's dashboard.
        var changed = Stopwatch.GetTimestamp();
        await s.SetPriceAsync("META", "390.00");
        var cancel = await s.Browser.PostAsync(new Uri(s.SandboxUrl, $"/sandbox/admin/orders/{canceling.GetProperty("alpaca_order_id").GetString()}/cancel"), null);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);

        var hooks = await receiver.WaitForAsync("/orders", r => r.Count >= 2, timeoutSeconds: 20);
        var seconds = Stopwatch.GetElapsedTime(changed).TotalSeconds;
        var events = hooks.Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
        Assert.Equal(["order.canceled", "order.filled"], events.Select(e => e.GetProperty("type").GetString()).Order());
        Assert.Equal(toFill, events.Single(e => e.GetProperty("type").GetString() == "order.filled").GetProperty("data").GetProperty("trade_id").GetString());
        Assert.Equal(toCancel, events.Single(e => e.GetProperty("type").GetString() == "order.canceled").GetProperty("data").GetProperty("trade_id").GetString());
        // Within the first follow-up steps (1 s + 3 s after the order landed), far inside the sync's minute.
        Assert.True(seconds < 15, $"the events took {seconds:0.0} s");

        Assert.Equal("filled", (await s.GetTradeAsync(toFill)).GetProperty("status").GetString());
        Assert.Equal("canceled", (await s.GetTradeAsync(toCancel)).GetProperty("status").GetString());
        Assert.Equal(filling.GetProperty("alpaca_order_id").GetString(), (await s.GetTradeAsync(toFill)).GetProperty("alpaca_order_id").GetString());
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains("Status sync:", StringComparison.Ordinal));
    }
}
