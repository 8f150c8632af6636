using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.TestSupport;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// <c>--host functions</c>: accept -> submitted at a modest open-loop rate (default 10 trades/s) through
/// the Functions app under a real Functions host (host.json as shipped), beside the Server's in the
/// same run and the same way. Both figures come from the trade's own history (accepted and submitted
/// are stamped by the app), so polling the status does not blur them.
/// </summary>
internal sealed class HostLatency(BenchOptions o)
{
    private const string FunctionKey = "bench-function-key-0123456789";
    private const string ReturnOrigin = "https://app.example.com";

    public Report Report { get; } = new();

    public async Task<Exception?> RunAsync()
    {
        try
        {
            var (server, serverIdle) = await MeasureAsync("Server");
            var (functions, functionsIdle) = await MeasureAsync("Functions");
            Report.Add("Accept -> submitted", F($"Server, {o.Trades} trades at {o.Rate}/s"), server.Short);
            Report.Add("Accept -> submitted", F($"Functions host ({FunctionsHost.Description}), same load"), functions.Short,
                "p50 < 300 ms, p99 < 1 s", functions.P50 < 300 && functions.P99 < 1000);
            Report.Add("Accept -> submitted", F($"Server, {IdleTrades} trades one every {IdleGap.TotalSeconds:0} s (idle queue)"), serverIdle.Short);
            Report.Add("Accept -> submitted", "Functions host, same (the listener has backed off to maxPollingInterval)", functionsIdle.Short,
                "p50 < 300 ms, p99 < 1 s", functionsIdle.P50 < 300 && functionsIdle.P99 < 1000);
            using var hostJson = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(FunctionsHost.RepositoryRoot, "host.json")));
            var queues = hostJson.RootElement.GetProperty("extensions").GetProperty("queues");
            Report.Add("Functions host", "host.json queues: maxPollingInterval / batchSize / newBatchThreshold",
                $"{queues.GetProperty("maxPollingInterval").GetString()} / {queues.GetProperty("batchSize").GetInt32()} / {queues.GetProperty("newBatchThreshold").GetInt32()}");
            Report.Data["host_latency"] = new { trades = o.Trades, rate = o.Rate, latency_ms = o.LatencyMs, server, functions, idle_trades = IdleTrades, idle_gap_s = IdleGap.TotalSeconds, server_idle = serverIdle, functions_idle = functionsIdle, functions_host = FunctionsHost.Description };
            return null;
        }
        catch (Exception ex)
        {
            Report.Notes.Add("RUN BROKE: " + ex.Message);
            return ex;
        }
    }

    /// <summary>Sparse trades, as a chat bot sends them: between two, the queue listener backs off to its longest poll interval.</summary>
    private const int IdleTrades = 20;
    private static readonly TimeSpan IdleGap = TimeSpan.FromSeconds(3);

    private async Task<(Latency Loaded, Latency Idle)> MeasureAsync(string host)
    {
        var urls = SystemUrls.Next();
        var appUrl = urls.App;
        await using var sandbox = await SystemStart.StartSandboxAsync(urls, s =>
        {
            s.LatencyMs = o.LatencyMs;
            s.RateLimitPerMinute = 1_000_000;
            s.MarketAlwaysOpen = true;
        }, "--Logging:LogLevel:Default=Warning");
        // The Functions app has an Azurite of its own and binds the plain queue names: no prefix there.
        var prefix = host == "Functions" ? "" : Azurite.NewPrefix("lat", 10);
        var settings = SystemStart.AppSettings(urls, Azurite.ConnectionString, prefix, FunctionKey, ReturnOrigin,
            tokenEncryptionKey: SystemStart.NewKey(), linkSigningSecret: SystemStart.NewKey(), logLevel: "Warning");

        await using var app = await StartAppAsync(host, appUrl, settings);
        Console.WriteLine($"[{host}] running at {appUrl}; connecting {o.Users} users");
        using var api = new HttpClient { BaseAddress = appUrl, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Add("x-functions-key", FunctionKey);
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var users = Enumerable.Range(0, Math.Min(o.Users, 20)).Select(i => $"lat-{host.ToLowerInvariant()}-{i:00}").ToArray();
        foreach (var user in users)
            await ConnectAsync(api, browser, user);

        // Untimed: one trade per user first (JIT, token cache), as in steady state.
        await WaitSubmittedAsync(api, await PostOpenLoopAsync(api, users, users.Length, o.Rate));
        Console.WriteLine($"[{host}] {o.Trades} trades at {o.Rate}/s");
        var ids = await PostOpenLoopAsync(api, users, o.Trades, o.Rate);
        var latency = Latency.Of(await WaitSubmittedAsync(api, ids));
        Console.WriteLine($"[{host}] accept -> submitted {latency.Short}");
        Console.WriteLine($"[{host}] {IdleTrades} trades, one every {IdleGap.TotalSeconds} s");
        var idle = Latency.Of(await WaitSubmittedAsync(api, await PostOpenLoopAsync(api, users, IdleTrades, 1 / IdleGap.TotalSeconds)));
        Console.WriteLine($"[{host}] idle accept -> submitted {idle.Short}");
        return (latency, idle);
    }

    private static async Task<IAsyncDisposable> StartAppAsync(string host, Uri url, Dictionary<string, string?> settings) =>
        host == "Functions"
            ? await FunctionsApp.StartAsync(url, settings, new Dictionary<string, string>(), FunctionKey, new CapturedLogs())
            : await SystemStart.StartServerAsync(url, settings);

    private static Task ConnectAsync(HttpClient api, HttpClient browser, string user) =>
        SystemStart.ConnectAsync(api, browser, user, "paper", ReturnOrigin + "/done");

    private static async Task<List<string>> PostOpenLoopAsync(HttpClient api, string[] users, int count, double rate)
    {
        var ids = new ConcurrentBag<string>();
        var start = Stopwatch.GetTimestamp();
        var posts = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
                await Task.Delay(due);
            var user = users[i % users.Length];
            posts.Add(Task.Run(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades")
                {
                    Content = JsonContent.Create(new { user_id = user, env = "paper", order = new { symbol = "SPY", side = "buy", type = "market", qty = "0.01", time_in_force = "day" } }),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var response = await api.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"POST /api/trades: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                ids.Add(doc.RootElement.GetProperty("id").GetString()!);
            }));
        }
        await Task.WhenAll(posts);
        return [.. ids];
    }

    /// <summary>Waits until every trade left "accepted" and returns accepted -> next status from each history, in ms.</summary>
    private static async Task<List<double>> WaitSubmittedAsync(HttpClient api, List<string> ids)
    {
        var latencies = new ConcurrentBag<double>();
        var pending = new ConcurrentQueue<string>(ids);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!pending.IsEmpty)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{pending.Count} trades were still accepted after 120 s.");
            var round = new List<string>();
            while (pending.TryDequeue(out var id))
                round.Add(id);
            await Parallel.ForEachAsync(round, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
            {
                using var doc = JsonDocument.Parse(await api.GetStringAsync("/api/trades/" + Uri.EscapeDataString(id), ct));
                var history = doc.RootElement.GetProperty("history").EnumerateArray()
                    .Select(e => (Status: e.GetProperty("status").GetString()!, At: e.GetProperty("at").GetDateTimeOffset())).ToList();
                var next = history.SkipWhile(h => h.Status == "accepted").FirstOrDefault();
                if (next.Status is null)
                {
                    pending.Enqueue(id);
                    return;
                }
                if (next.Status is not ("submitted" or "filled" or "partially_filled"))
                    throw new InvalidOperationException($"Trade {id} ended {next.Status}.");
                latencies.Add((next.At - history[0].At).TotalMilliseconds);
            });
            if (!pending.IsEmpty)
                await Task.Delay(250);
        }
        return [.. latencies];
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
