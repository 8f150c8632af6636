using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// <c>--scenario order-events</c>: how soon a change made at Alpaca (a fill, a cancel in Alpaca's
/// dashboard) is published as order.filled / order.canceled, on the Server and on the Functions app
/// under a real Functions host, with the status sync never run (its timer does not fire here): the
/// follow-up checks carry it. Far limit orders are placed and submitted; then, a set time after
/// they landed, the Sandbox fills half of them (the price is pinned across their limit) and cancels
/// the other half (admin cancel, one by one). Latency = webhook received by a local receiver minus the
/// moment the change was made. Alpaca calls are counted at the Sandbox.
/// </summary>
internal sealed class OrderEvents(BenchOptions o)
{
    private const string FunctionKey = "bench-function-key-0123456789";
    private const string ReturnOrigin = "https://app.example.com";
    private const string FillSymbol = "META", CancelSymbol = "AMZN";

    /// <summary>When, after the orders landed at Alpaca, the change is made: early, and later inside the follow-up window (30 s).</summary>
    private static readonly double[] AgesSeconds = [2, 7, 20];

    public Report Report { get; } = new();

    public async Task<Exception?> RunAsync()
    {
        try
        {
            foreach (var host in new[] { "Server", "Functions" })
                await MeasureAsync(host);
            return null;
        }
        catch (Exception ex)
        {
            Report.Notes.Add("RUN BROKE: " + ex.Message);
            return ex;
        }
    }

    private async Task MeasureAsync(string host)
    {
        var perBatch = Math.Max(2, o.Trades / AgesSeconds.Length / 2 * 2);
        var urls = SystemUrls.Next();
        var receiverUrls = SystemUrls.Next();
        long alpacaCalls = 0, orderReads = 0;
        var sandbox = SystemStart.BuildSandbox(urls, s =>
        {
            s.LatencyMs = o.LatencyMs;
            s.RateLimitPerMinute = 1_000_000;
            s.MarketAlwaysOpen = true;
        }, "--Logging:LogLevel:Default=Warning");
        sandbox.Use(async (HttpContext http, RequestDelegate next) =>
        {
            var path = http.Request.Path.Value ?? "";
            if (path.Contains("/v2/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref alpacaCalls);
                if (HttpMethods.IsGet(http.Request.Method) && path.Contains("/v2/orders/", StringComparison.Ordinal))
                    Interlocked.Increment(ref orderReads);
            }
            await next(http);
        });
        await sandbox.StartAsync();
        await using var sandboxStop = new AsyncStop(sandbox);

        // The webhook receiver: notes when each order event arrives.
        var received = new ConcurrentDictionary<string, (string Type, long At)>(StringComparer.Ordinal);
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls(receiverUrls.App.ToString());
        receiver.Logging.ClearProviders();
        var receiverApp = receiver.Build();
        receiverApp.MapPost("/hook", async (HttpContext http) =>
        {
            var at = Stopwatch.GetTimestamp();
            using var doc = await JsonDocument.ParseAsync(http.Request.Body);
            var type = doc.RootElement.GetProperty("type").GetString()!;
            received.TryAdd(doc.RootElement.GetProperty("data").GetProperty("trade_id").GetString()!, (type, at));
            return Results.NoContent();
        });
        await receiverApp.StartAsync();
        await using var receiverStop = new AsyncStop(receiverApp);

        var prefix = host == "Functions" ? "" : Azurite.NewPrefix("evt", 10);
        var settings = SystemStart.AppSettings(urls, Azurite.ConnectionString, prefix, FunctionKey, ReturnOrigin,
            tokenEncryptionKey: SystemStart.NewKey(), linkSigningSecret: SystemStart.NewKey(), logLevel: "Warning");
        settings["Webhooks:AllowPrivateTargets"] = "true";
        var meter = new RoundTripMeter();
        await using var app = host == "Functions"
            ? (IAsyncDisposable)await FunctionsApp.StartAsync(urls.App, settings, new Dictionary<string, string>(), FunctionKey, new CapturedLogs())
            : await SystemStart.StartServerAsync(urls.App, settings);
        using var api = new HttpClient { BaseAddress = urls.App, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Add("x-functions-key", FunctionKey);
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var users = Enumerable.Range(0, Math.Clamp(o.Users, 1, 20)).Select(i => $"evt-{host.ToLowerInvariant()}-{i:00}").ToArray();
        Console.WriteLine($"[{host}] running at {urls.App}; connecting {users.Length} users");
        foreach (var user in users)
            await SystemStart.ConnectAsync(api, browser, user, "paper", ReturnOrigin + "/done");
        (await api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = receiverUrls.App + "hook", event_types = new[] { "order.filled", "order.canceled" } })).EnsureSuccessStatusCode();

        var byAge = new List<object>();
        var allFill = new List<double>();
        var allCancel = new List<double>();
        var trades = 0;
        long calls0 = Interlocked.Read(ref alpacaCalls), reads0 = Interlocked.Read(ref orderReads);
        var rt0 = meter.Snapshot();
        foreach (var age in AgesSeconds)
        {
            await Pin(browser, urls.Sandbox, FillSymbol, "500.00");
            await Pin(browser, urls.Sandbox, CancelSymbol, "200.00");
            Console.WriteLine($"[{host}] {perBatch} far limit orders; the change at Alpaca {age:0} s after they landed");
            var fills = new List<string>();
            var cancels = new List<string>();
            for (var i = 0; i < perBatch; i++)
            {
                var fill = i % 2 == 0;
                var id = await PostAsync(api, users[i % users.Length], fill ? FillSymbol : CancelSymbol, fill ? "400.00" : "150.00");
                (fill ? fills : cancels).Add(id);
            }
            trades += perBatch;
            var orderIds = await WaitSubmittedAsync(api, [.. fills, .. cancels]);
            var landed = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(age) - Stopwatch.GetElapsedTime(landed));

            var changedAt = new Dictionary<string, long>(StringComparer.Ordinal);
            await Pin(browser, urls.Sandbox, FillSymbol, "390.00");
            var pinned = Stopwatch.GetTimestamp();
            foreach (var id in fills)
                changedAt[id] = pinned;
            foreach (var id in cancels)
            {
                using var canceled = await browser.PostAsync(new Uri(urls.Sandbox, $"/sandbox/admin/orders/{orderIds[id]}/cancel"), null);
                if (canceled.StatusCode != HttpStatusCode.NoContent)
                    throw new InvalidOperationException($"Sandbox cancel of {id}: {(int)canceled.StatusCode}");
                changedAt[id] = Stopwatch.GetTimestamp();
            }

            var deadline = Stopwatch.GetTimestamp() + 90 * Stopwatch.Frequency;
            while (changedAt.Keys.Any(id => !received.ContainsKey(id)) && Stopwatch.GetTimestamp() < deadline)
                await Task.Delay(20);
            var missing = changedAt.Keys.Count(id => !received.ContainsKey(id));
            var fillMs = fills.Where(received.ContainsKey).Select(id => Clock.Ms(changedAt[id], received[id].At)).ToList();
            var cancelMs = cancels.Where(received.ContainsKey).Select(id => Clock.Ms(changedAt[id], received[id].At)).ToList();
            allFill.AddRange(fillMs);
            allCancel.AddRange(cancelMs);
            var wrong = changedAt.Keys.Count(id => received.TryGetValue(id, out var r) && r.Type != (fills.Contains(id) ? "order.filled" : "order.canceled"));
            Report.Add(host, F($"order.filled, change {age:0} s after landing ({fills.Count} orders)"), Seconds(fillMs), "p95 <= 5 s", fillMs.Count == fills.Count && P95(fillMs) <= 5000);
            Report.Add(host, F($"order.canceled, change {age:0} s after landing ({cancels.Count} orders)"), Seconds(cancelMs), "p95 <= 5 s", cancelMs.Count == cancels.Count && P95(cancelMs) <= 5000);
            Report.Add(host, F($"events missing after 90 s / of the wrong type ({age:0} s)"), F($"{missing} / {wrong}"), "0 / 0", missing == 0 && wrong == 0);
            byAge.Add(new { age_s = age, fill_ms = Latency.Of(fillMs), fill_p95_ms = Math.Round(P95(fillMs)), cancel_ms = Latency.Of(cancelMs), cancel_p95_ms = Math.Round(P95(cancelMs)), missing, wrong_type = wrong });
        }
        var callsPerTrade = (double)(Interlocked.Read(ref alpacaCalls) - calls0) / trades;
        var readsPerTrade = (double)(Interlocked.Read(ref orderReads) - reads0) / trades;
        Report.Add(host, "all: order.filled / order.canceled", F($"{Seconds(allFill)} / {Seconds(allCancel)}"));
        Report.Add(host, "Alpaca calls per trade, submit to published (of which order reads)", F($"{callsPerTrade:0.00} ({readsPerTrade:0.00})"));
        var rt = meter.Snapshot() - rt0;
        if (host == "Server")
            Report.Add(host, "storage RT per trade, accept to published (in-process count; includes the benchmark's own GET /api/trades polls and the queue listeners' idle polls)", F($"{(double)rt.Total / trades:0.00} ({string.Join(", ", rt.ByKey.Select(k => $"{k.Key} {k.Value}"))})"));
        meter.Dispose();
        Report.Data["order_events_" + host.ToLowerInvariant()] = new { trades, by_age = byAge, alpaca_calls_per_trade = Math.Round(callsPerTrade, 3), order_reads_per_trade = Math.Round(readsPerTrade, 3), storage_round_trips = host == "Server" ? rt.ByKey : null };
    }

    private static async Task Pin(HttpClient browser, Uri sandbox, string symbol, string price)
    {
        using var response = await browser.PutAsJsonAsync(new Uri(sandbox, $"/sandbox/admin/prices/{symbol}"), new { price });
        response.EnsureSuccessStatusCode();
    }

    private static async Task<string> PostAsync(HttpClient api, string user, string symbol, string limit)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades")
        {
            Content = JsonContent.Create(new { user_id = user, env = "paper", order = new { symbol, side = "buy", type = "limit", limit_price = limit, qty = "1", time_in_force = "gtc" } }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await api.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"POST /api/trades: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Waits until every trade is submitted; answers each one's Alpaca order id.</summary>
    private static async Task<Dictionary<string, string>> WaitSubmittedAsync(HttpClient api, List<string> ids)
    {
        var orders = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (orders.Count < ids.Count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{ids.Count - orders.Count} trades were not submitted after 60 s.");
            await Parallel.ForEachAsync(ids.Where(id => !orders.ContainsKey(id)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
            {
                using var doc = JsonDocument.Parse(await api.GetStringAsync("/api/trades/" + Uri.EscapeDataString(id), ct));
                var status = doc.RootElement.GetProperty("status").GetString();
                if (status == "submitted")
                    orders[id] = doc.RootElement.GetProperty("alpaca_order_id").GetString()!;
                else if (status != "accepted")
                    throw new InvalidOperationException($"Trade {id} ended {status} before the change.");
            });
            if (orders.Count < ids.Count)
                await Task.Delay(100);
        }
        return new(orders, StringComparer.Ordinal);
    }

    private static double P95(List<double> ms) => ms.Count == 0 ? double.NaN : ms.Order().ElementAt(Math.Clamp((int)Math.Ceiling(0.95 * ms.Count) - 1, 0, ms.Count - 1));

    private static string Seconds(List<double> ms) => ms.Count == 0 ? "none"
        : F($"p50 {Latency.Of(ms).P50 / 1000:0.00} s / p95 {P95(ms) / 1000:0.00} s / max {ms.Max() / 1000:0.00} s");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed class AsyncStop(WebApplication app) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(stop.Token);
            await app.DisposeAsync();
        }
    }
}
