using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class RetentionTestsOnServer() : RetentionTests(HostKind.Server);

public sealed class RetentionTestsOnFunctions() : RetentionTests(HostKind.Functions);

/// <summary>
/// The retention timer (the Server's runner calls what the Functions timer RunRetention calls, run
/// here through the host's admin API) deletes expired links and states, old dispatched outbox rows
/// and old delivery logs, found by key in the retention index; trades and connections stay.
/// </summary>
public abstract class RetentionTests(HostKind host)
{
    private static Task RunRetentionAsync(TestSystem s) =>
        s.Functions is { } functions ? functions.RunFunctionAsync("RunRetention") : s.Services.GetRequiredService<RetentionSweep>().RunAsync(default);

    private static async Task<List<string>> RowKeysAsync(TestSystem s, string table, string? partition = null)
    {
        var keys = new List<string>();
        var rows = partition is null
            ? s.Table(table).QueryAsync<TableEntity>(select: ["RowKey"])
            : s.Table(table).QueryAsync<TableEntity>(e => e.PartitionKey == partition, select: ["RowKey"]);
        await foreach (var row in rows)
            keys.Add(row.RowKey);
        return keys;
    }

    [SkippableFact]
    public async Task Expired_links_and_states_and_old_outbox_rows_and_delivery_logs_go_and_trades_stay()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var s = await TestSystem.StartAsync(host: host, settings: new Dictionary<string, string?>
        {
            ["Connect:LinkLifetime"] = "00:00:30",
            ["Connect:StateLifetime"] = "00:00:30",
            ["Retention:OutboxAfter"] = "00:00:12",
            ["Retention:DeliveriesAfter"] = "00:00:12",
        });
        var subscribed = await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = receiver.Url("/all"), event_types = new[] { "*" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        // A connect (a link and a state, both used), a link never used, and a trade: events, deliveries.
        await s.ConnectAsync("rae");
        await s.CreateLinkAsync("rae");
        var lastIssued = DateTime.UtcNow;
        var id = await s.TradeAsync("rae", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        await s.WaitForTradeAsync(id, ["filled"], runSync: true);
        await receiver.WaitForAsync("/all", hooks => hooks.Count >= 4); // connected, accepted, submitted, filled

        Assert.Equal(2, (await RowKeysAsync(s, Tables.ConnectLinks)).Count);
        Assert.Single(await RowKeysAsync(s, Tables.OAuthStates));
        Assert.Contains(await RowKeysAsync(s, Tables.Trades, "rae"), k => k.StartsWith("evt~", StringComparison.Ordinal));
        Assert.NotEmpty(await RowKeysAsync(s, Tables.WebhookDeliveries));

        // Nothing is due yet: a run deletes nothing.
        await RunRetentionAsync(s);
        Assert.Equal(2, (await RowKeysAsync(s, Tables.ConnectLinks)).Count);
        Assert.Contains(await RowKeysAsync(s, Tables.Connections, "rae"), k => k.StartsWith("evt~", StringComparison.Ordinal));

        // Past the links' and states' lifetime, and the outbox and deliveries' keep (plus its period).
        var wait = lastIssued + TimeSpan.FromSeconds(31) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        await RunRetentionAsync(s);

        Assert.Empty(await RowKeysAsync(s, Tables.ConnectLinks));
        Assert.Empty(await RowKeysAsync(s, Tables.OAuthStates));
        Assert.Empty(await RowKeysAsync(s, Tables.WebhookDeliveries));
        Assert.Equal(["paper"], await RowKeysAsync(s, Tables.Connections, "rae"));
        // The trade itself is never deleted, only its dispatched events.
        Assert.Equal([id[(id.IndexOf('~') + 1)..]], await RowKeysAsync(s, Tables.Trades, "rae"));
        using (var trade = JsonDocument.Parse(await s.Api.GetStringAsync("/api/trades/" + id)))
            Assert.Equal("filled", trade.RootElement.GetProperty("status").GetString());
        // Every entry that was due is gone with what it named.
        Assert.Empty(await RowKeysAsync(s, Tables.Retention));
    }
}
