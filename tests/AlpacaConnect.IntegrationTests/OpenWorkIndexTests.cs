using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Telemetry;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class OpenWorkIndexTestsOnServer() : OpenWorkIndexTests(HostKind.Server);

public sealed class OpenWorkIndexTestsOnFunctions() : OpenWorkIndexTests(HostKind.Functions);

/// <summary>
/// The status sync finds open trades by key: a trade is indexed in the work index before the write
/// that accepts it, and leaves it at the first sync that finds it closed.
/// Orders at Alpaca with our prefix and no trade row are reported, on both hosts.
/// </summary>
public abstract class OpenWorkIndexTests(HostKind host)
{
    private static readonly string[] Settled = ["submitted", "partially_filled", "filled", "canceled", "expired", "rejected", "failed"];

    private static async Task<string> RestingLimitBuyAsync(TestSystem s, string user)
    {
        await s.SetPriceAsync("AMZN", "200.00");
        var id = await s.TradeAsync(user, new { symbol = "AMZN", side = "buy", type = "limit", limit_price = "150.00", qty = "1", time_in_force = "gtc" });
        Assert.Equal("submitted", (await s.WaitForTradeAsync(id, Settled)).GetProperty("status").GetString());
        return id;
    }

    private static string RowKey(string tradeId) => tradeId[(tradeId.IndexOf('~') + 1)..];

    private static async Task<List<string>> IndexRowsAsync(TestSystem s, string user)
    {
        var rows = new List<string>();
        await foreach (var entry in s.Services.GetRequiredService<WorkIndex>().ListAsync(TradeStore.OpenKind, default))
            if (entry.Partition == user)
                rows.Add(entry.Row);
        return rows;
    }

    [SkippableFact]
    public async Task An_open_trade_is_indexed_until_the_write_that_closes_it()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("ida");
        var resting = await RestingLimitBuyAsync(s, "ida");
        var filled = await s.TradeAsync("ida", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        Assert.Equal("filled", (await s.WaitForTradeAsync(filled, ["filled"])).GetProperty("status").GetString());

        // Both were indexed when accepted (with their rows).
        Assert.Equal(new[] { RowKey(resting), RowKey(filled) }.Order(), (await IndexRowsAsync(s, "ida")).Order());

        // The sync reads the index: the closed one leaves it, the working one is followed and stays.
        await s.SyncAsync();
        Assert.Equal([RowKey(resting)], await IndexRowsAsync(s, "ida"));
        Assert.Equal("submitted", (await s.GetTradeAsync(resting)).GetProperty("status").GetString());

        // Canceling closes it; the next sync takes its entry away.
        Assert.Equal(HttpStatusCode.Accepted, (await s.Api.DeleteAsync("/api/trades/" + resting)).StatusCode);
        Assert.Equal("canceled", (await s.WaitForTradeAsync(resting, ["canceled"])).GetProperty("status").GetString());
        await s.SyncAsync();
        Assert.Empty(await IndexRowsAsync(s, "ida"));
        // Every order the syncs listed has its trade row: no orphan is reported.
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains("Orphan order", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task An_order_with_our_prefix_and_no_trade_row_is_reported_by_the_sync_with_a_log_line_and_a_metric()
    {
        using var orphans = new OrphanCounter();
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("oz");
        await RestingLimitBuyAsync(s, "oz");
        var lost = await s.TradeAsync("oz", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        var clientOrderId = (await s.WaitForTradeAsync(lost, ["submitted", "partially_filled", "filled"])).GetProperty("client_order_id").GetString()!;

        // Storage "loses" the acknowledged row; the order stays at Alpaca.
        await s.Table(Tables.Trades).DeleteEntityAsync("oz", RowKey(lost));
        await s.SyncAsync();

        var line = s.Logs.Lines.FirstOrDefault(l => l.Contains("Orphan order", StringComparison.Ordinal));
        Assert.NotNull(line);
        Assert.Contains(clientOrderId, line, StringComparison.Ordinal);
        Assert.Contains("oz", line, StringComparison.Ordinal);
        Assert.Single(await s.SandboxOrdersAsync("oz"), o => o.GetProperty("client_order_id").GetString() == clientOrderId);
        if (host == HostKind.Server)
            Assert.Equal(1, orphans.Count); // the metric is read in this process, where the Server runs
    }

    [SkippableFact]
    public async Task An_orphan_order_of_a_user_with_no_open_trade_is_reported_by_the_syncs_rotating_audit()
    {
        using var orphans = new OrphanCounter();
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("nia");
        // An order at Alpaca with our prefix that no trade row names (the row a lost write would have
        // held), placed at the Sandbox directly with the user's own token; nia has no trade at all.
        var clientOrderId = TradeIds.ClientOrderId(Guid.NewGuid().ToString("N"));
        var token = (await s.Services.GetRequiredService<ConnectionTokens>().GetAsync("nia", AlpacaEnv.Paper, default))!.Value.Token;
        using (var direct = new HttpRequestMessage(HttpMethod.Post, new Uri(s.SandboxUrl, "/paper/v2/orders")))
        {
            direct.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
            direct.Content = JsonContent.Create(new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day", client_order_id = clientOrderId });
            (await s.Browser.SendAsync(direct)).EnsureSuccessStatusCode();
        }
        Assert.Empty(await IndexRowsAsync(s, "nia"));

        await s.SyncAsync();

        var line = s.Logs.Lines.FirstOrDefault(l => l.Contains("Orphan order", StringComparison.Ordinal));
        Assert.NotNull(line);
        Assert.Contains(clientOrderId, line, StringComparison.Ordinal);
        Assert.Contains("nia", line, StringComparison.Ordinal);
        Assert.Single(await s.SandboxOrdersAsync("nia"), o => o.GetProperty("client_order_id").GetString() == clientOrderId);
        // The audit's cursor is kept in the markers table between runs.
        Assert.NotNull((await s.Table(Tables.Markers).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(OrphanOrders.MarkerPartition, OrphanOrders.MarkerRow)).Value);
        if (host == HostKind.Server)
            Assert.Equal(1, orphans.Count);
    }

    [SkippableFact]
    public async Task An_open_trade_written_before_the_index_existed_is_backfilled_once_and_then_followed_by_the_sync()
    {
        // No follow-up checks: only the sync can see the fill.
        await using var s = await TestSystem.StartAsync(host: host, settings: new Dictionary<string, string?> { ["Trading:FollowUpSchedule"] = "" });
        await s.ConnectAsync("old");
        var before = await RestingLimitBuyAsync(s, "old");
        // As a trade written before the index existed: its row, and no entry.
        await RemoveIndexEntryAsync(s, "old", RowKey(before));
        Assert.Empty(await IndexRowsAsync(s, "old"));
        await s.SetPriceAsync("AMZN", "140.00");

        // The first sync run scans for open trades once, indexes it, and follows it in the same run.
        await s.SyncAsync();
        Assert.Equal("filled", (await s.GetTradeAsync(before)).GetProperty("status").GetString());
        var marker = (await s.Table(Tables.Markers).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(OpenTradeBackfill.MarkerPartition, OpenTradeBackfill.MarkerRow)).Value;
        Assert.NotNull(marker);
        Assert.True(marker.GetBoolean("Complete"));
        Assert.Equal(1, marker.GetInt32("Indexed"));

        // Once complete it never scans again: another unindexed open row (which the write-ahead makes
        // impossible from here on) stays unseen, so steady state costs only the index.
        await s.SetPriceAsync("MSFT", "500.00");
        var after = await s.TradeAsync("old", new { symbol = "MSFT", side = "buy", type = "limit", limit_price = "300.00", qty = "1", time_in_force = "gtc" });
        Assert.Equal("submitted", (await s.WaitForTradeAsync(after, Settled)).GetProperty("status").GetString());
        await RemoveIndexEntryAsync(s, "old", RowKey(after));
        await s.SetPriceAsync("MSFT", "290.00");
        await s.SyncAsync();
        Assert.Equal("submitted", (await s.GetTradeAsync(after)).GetProperty("status").GetString());
        Assert.Empty(await IndexRowsAsync(s, "old"));
        Assert.Equal(1, (await s.Table(Tables.Markers).GetEntityAsync<Azure.Data.Tables.TableEntity>(OpenTradeBackfill.MarkerPartition, OpenTradeBackfill.MarkerRow)).Value.GetInt32("Indexed"));
    }

    private static async Task RemoveIndexEntryAsync(TestSystem s, string user, string row)
    {
        // Entries written with an accept sit in any shard: removed as read.
        var index = s.Services.GetRequiredService<WorkIndex>();
        await foreach (var entry in index.ListAsync(TradeStore.OpenKind, default))
            if (entry.Partition == user && entry.Row == row)
                await index.RemoveAsync(entry, default);
    }

    /// <summary>alpaca_connect.trades.orphan_orders as this process's meters record it.</summary>
    private sealed class OrphanCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public OrphanCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == AlpacaConnectTelemetry.Name && instrument.Name == "alpaca_connect.trades.orphan_orders")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
