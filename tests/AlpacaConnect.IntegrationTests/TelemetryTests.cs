using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AlpacaConnect.IntegrationTests;

/// <summary>What operators see: OpenTelemetry traces and metrics of a full flow, and logs that never hold a secret.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task A_full_flow_exports_traces_and_metrics_and_its_logs_hold_no_token_or_secret()
    {
        var metricsExported = new List<Metric>();
        var spansExported = new List<Activity>();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var s = await TestSystem.StartAsync(services =>
        {
            services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metricsExported));
            services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spansExported));
        });

        var subscription = await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = receiver.Url("/ops"), event_types = new[] { "*" } });
        using var created = JsonDocument.Parse(await subscription.Content.ReadAsStringAsync());
        var webhookSecret = created.RootElement.GetProperty("secret").GetString()!;

        await s.ConnectAsync("sam");
        var token = (await s.Services.GetRequiredService<ConnectionStore>().GetActiveWithTokenAsync("sam", AlpacaEnv.Paper, default))!.Value.Token.Value;
        var filled = await s.TradeAsync("sam", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        await s.WaitForTradeAsync(filled, ["filled"]);
        var rejected = await s.TradeAsync("sam", new { symbol = "AAPL", side = "buy", type = "market", qty = "100000", time_in_force = "day" });
        await s.WaitForTradeAsync(rejected, ["rejected"]);
        await receiver.WaitForAsync("/ops", r => r.Count >= 6);

        s.Services.GetRequiredService<MeterProvider>().ForceFlush();
        s.Services.GetRequiredService<TracerProvider>().ForceFlush();
        // The exporters keep appending while background work goes on: read snapshots.
        var metrics = Snapshot(metricsExported);
        var spans = Snapshot(spansExported);

        // Metrics: trades and deliveries by outcome, Alpaca latency by operation and status, queue age, storage round trips.
        var names = metrics.Select(m => m.Name).ToHashSet();
        Assert.Contains("alpaca_connect.trades", names);
        Assert.Contains("alpaca_connect.webhook.deliveries", names);
        Assert.Contains("alpaca_connect.alpaca.request.duration", names);
        Assert.Contains("alpaca_connect.queue.age", names);
        Assert.Contains("alpaca_connect.storage.round_trips", names);
        var outcomes = Tags(metrics, "alpaca_connect.trades", "outcome");
        Assert.Superset(new HashSet<string> { "accepted", "submitted", "rejected" }, outcomes);
        Assert.Contains("delivered", Tags(metrics, "alpaca_connect.webhook.deliveries", "outcome"));
        Assert.Contains("POST v2/orders", Tags(metrics, "alpaca_connect.alpaca.request.duration", "operation"));

        // Traces: the execution span carries the trade and user ids; the HTTP call to Alpaca is a child span.
        var execute = spans.First(a => a.OperationName == "trade.execute" && (string?)a.GetTagItem("trade.id") == filled);
        Assert.Equal("sam", execute.GetTagItem("user.id"));
        Assert.Contains(spans, a => a.ParentSpanId == execute.SpanId && a.Kind == ActivityKind.Client);
        Assert.Contains(spans, a => a.OperationName == "webhook.deliver");
        // Storage calls are metrics, not spans: none of the client spans goes to the storage account.
        var storage = s.Services.GetRequiredService<StorageEndpoints>();
        Assert.Contains(spans, a => a.Kind == ActivityKind.Client && a.GetTagItem("url.full") is string);
        Assert.DoesNotContain(spans, a => a.Kind == ActivityKind.Client && a.GetTagItem("url.full") is string url && storage.Serves(new Uri(url)));

        // Logs: structured ids present, no secret anywhere.
        var logs = string.Join('\n', s.Logs.Lines);
        Assert.Contains($"TradeId={filled}", logs);
        foreach (var secret in new[] { token, TestSystem.ClientSecret, s.TokenKey, TestSystem.LinkSigningSecret, webhookSecret, webhookSecret["whsec_".Length..], TestSystem.FunctionKey })
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
    }

    /// <summary>A copy of a list another thread may be appending to (a torn copy throws; try again).</summary>
    private static List<T> Snapshot<T>(List<T> list)
    {
        while (true)
        {
            try
            {
                return [.. list.ToArray()];
            }
            catch (ArgumentException)
            {
            }
        }
    }

    private static HashSet<string> Tags(List<Metric> metrics, string name, string tag)
    {
        var values = new HashSet<string>();
        foreach (var metric in metrics.Where(m => m.Name == name))
            foreach (ref readonly var point in metric.GetMetricPoints())
                foreach (var pair in point.Tags)
                    if (pair.Key == tag)
                        values.Add(pair.Value?.ToString() ?? "");
        return values;
    }
}
