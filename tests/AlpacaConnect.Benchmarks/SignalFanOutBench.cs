using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Trading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// --scenario signal-fanout: one signal fanned out to --subscribers connections (each connected
/// through the consent flow), measured from receipt to the last order at the Sandbox, against a
/// direct client placing the same orders on the Sandbox at the same concurrency in the same run.
/// Receipt is the <see cref="SignalFanOut.RunAsync"/> call (the alert endpoint is the intake's). Two
/// measured signals: the first with the connection-token cache cold (as a signal minutes after the
/// last one finds it), the second right after it (cache warm). Per-order figures are each order's
/// created_at at the Sandbox minus the receipt.
/// </summary>
internal sealed class SignalFanOutBench(BenchOptions o)
{
    private const string Symbol = "SPY";
    private readonly RoundTripMeter _meter = new();
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private BenchSystem _s = null!;

    public Report Report { get; } = new();

    public async Task<Exception?> RunAsync()
    {
        try
        {
            _s = await BenchSystem.StartAsync(o);
            await _s.SetPriceAsync(Symbol, "500");
            // The fan-out works on as many subscribers at once as the direct client sends orders.
            _s.Services.GetRequiredService<IOptions<SignalFanOutOptions>>().Value.FanOutConcurrency = o.Concurrency;

            var users = await ConnectAsync("s", o.Subscribers);
            var warm = await ConnectAsync("w", Math.Min(64, o.Subscribers));
            await FanOutAsync(warm, "warm-up (JIT), other users", report: null);
            await FanOutAsync(users, "signal 1", report: "token cache cold");
            await FanOutAsync(users, "signal 2", report: "token cache warm");
            await DirectAsync(users);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            _meter.Dispose();
            if (_s is not null)
                await _s.DisposeAsync();
        }
    }

    private async Task<string[]> ConnectAsync(string tag, int count)
    {
        var users = Enumerable.Range(0, count).Select(i => $"bench-{_run}-{tag}{i:0000}").ToArray();
        var t0 = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) => await _s.ConnectAsync(user));
        Console.WriteLine(F($"connected {count} users ({tag}) in {Stopwatch.GetElapsedTime(t0).TotalSeconds:0.0} s"));
        return users;
    }

    private double? _coldLastMs;

    private async Task FanOutAsync(string[] users, string label, string? report)
    {
        var hook = new SignalHook { Id = "bench" + _run, Name = "benchmark", Rules = new SignalRules(), CreatedAt = DateTimeOffset.UtcNow };
        var signal = new RecordedSignal
        {
            Id = $"{label.Replace(' ', '-')}-{_run}",
            HookId = hook.Id,
            Alert = new SignalAlert { Ticker = Symbol, Action = "buy", SignalPrice = 500m },
            ReceivedAt = DateTimeOffset.UtcNow,
        };
        var subscribers = users.Select(u => new SignalSubscriber { HookId = hook.Id, UserId = u, Env = "paper", Sizing = new SubscriberSizing { Kind = SubscriberSizing.FixedQuantity, Value = 1 } }).ToList();
        var fanOut = _s.Services.GetRequiredService<SignalFanOut>();

        var rt0 = _meter.Snapshot();
        var receivedAt = DateTimeOffset.UtcNow;
        var t0 = Stopwatch.GetTimestamp();
        var outcomes = await fanOut.RunAsync(hook, signal, subscribers, CancellationToken.None);
        var runMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var rt = _meter.Snapshot() - rt0;

        var placed = outcomes.Count(x => x.Status == SubscriberOutcome.Placed);
        var clientOrderIds = outcomes.SelectMany(x => x.TradeIds).Select(id => TradeIds.ClientOrderId(id[(id.LastIndexOf(TradeIds.Separator) + 1)..])).ToHashSet(StringComparer.Ordinal);
        var orders = await OrdersAsync(clientOrderIds);
        var atSandbox = orders.Select(x => (x.CreatedAt - receivedAt).TotalMilliseconds).ToList();
        var filled = orders.Count(x => x.Status == "filled");
        Console.WriteLine(F($"{label}: {placed}/{outcomes.Count} placed, {orders.Count} orders at the Sandbox ({filled} filled) in {runMs:0} ms; {rt.Total} storage round trips"));
        if (report is null)
            return;

        var latency = Latency.Of(atSandbox);
        var section = $"Fan-out, {report}";
        Report.Add(section, "subscribers placed / orders at the Sandbox (filled)", F($"{placed} / {orders.Count} ({filled})"), "all, one each", placed == users.Length && orders.Count == users.Length);
        Report.Add(section, "receipt (RunAsync) -> last order at the Sandbox", F($"{latency.Max:0} ms (RunAsync returned at {runMs:0} ms)"));
        Report.Add(section, "receipt -> each order at the Sandbox", latency.Short);
        // Trade rows: the insert (table POST) and the replace (table PUT; an entity-group batch with outbox rows is a POST too);
        // connection reads (table GET) when the token cache is cold; queue GETs are the idle runners' polls.
        var n = (double)Math.Max(1, orders.Count);
        var tradeRows = (rt["table POST"] + rt["table PUT"]) / n;
        var reads = rt["table GET"] / n;
        var perTrade = (rt.Total - rt["queue GET"]) / n;
        Report.Add(section, "storage round trips per fanned-out trade: trade rows / + connection reads", F($"{tradeRows:0.00} / {perTrade:0.00} ({string.Join(", ", rt.ByKey.Select(k => $"{k.Key} {k.Value}"))}; queue GET = idle polls)"), "<= 2", tradeRows <= 2.0);
        if (report.Contains("cold", StringComparison.Ordinal))
            _coldLastMs = latency.Max;
        Report.Data["signal_fanout_" + (report.Contains("cold", StringComparison.Ordinal) ? "cold" : "warm")] = new
        {
            subscribers = users.Length,
            placed,
            orders_at_sandbox = orders.Count,
            filled,
            receipt_to_last_order_ms = latency.Max,
            run_ms = Math.Round(runMs, 1),
            receipt_to_order_ms = latency,
            storage_round_trips = rt.ByKey,
            round_trips_per_trade = Math.Round(perTrade, 3),
            trade_row_round_trips_per_trade = Math.Round(tradeRows, 3),
            connection_reads_per_trade = Math.Round(reads, 3),
        };
        _lastWarmMs = latency.Max;
    }

    private double? _lastWarmMs;

    /// <summary>The same orders (one market buy of 1 share per subscriber account) straight to the Sandbox at the same concurrency.</summary>
    private async Task DirectAsync(string[] users)
    {
        var tokens = new string[users.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, users.Length), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => tokens[i] = await _s.DirectTokenAsync(users[i] + "-alpaca"));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseCookies = false }) { BaseAddress = _s.SandboxUrl, Timeout = TimeSpan.FromSeconds(60) };
        var ends = new double[users.Length];
        var ok = 0;
        var next = -1;
        var t0 = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, o.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < users.Length)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/paper/v2/orders")
                {
                    Content = new StringContent($$"""{"symbol":"{{Symbol}}","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"direct-{{_run}}-{{i}}"}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[i]);
                using var response = await http.SendAsync(request);
                ends[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (response.IsSuccessStatusCode)
                    Interlocked.Increment(ref ok);
            }
        })));
        var latency = Latency.Of(ends);
        Report.Add("Direct client", "orders placed (200) at the same concurrency", F($"{ok} of {users.Length} at concurrency {o.Concurrency}"), "all", ok == users.Length);
        Report.Add("Direct client", "start -> last order answered / each order", F($"{latency.Max:0} ms / {latency.Short}"));
        foreach (var (name, ms) in new[] { ("cold", _coldLastMs), ("warm", _lastWarmMs) })
            if (ms is { } fanOut)
                Report.Add("Direct client", $"fan-out ({name}) last order / direct last order", F($"{fanOut / latency.Max:0.00}x ({fanOut:0} / {latency.Max:0} ms)"), "<= 1.5x", fanOut / latency.Max <= 1.5);
        Report.Data["signal_fanout_direct"] = new { orders = users.Length, ok, concurrency = o.Concurrency, last_order_ms = latency.Max, order_ms = latency };
    }

    private sealed record SandboxOrder(string ClientOrderId, DateTimeOffset CreatedAt, string Status);

    private async Task<List<SandboxOrder>> OrdersAsync(HashSet<string> clientOrderIds)
    {
        await using var stream = await _s.Browser.GetStreamAsync(new Uri(_s.SandboxUrl, "/sandbox/admin/orders?env=paper"));
        using var doc = await JsonDocument.ParseAsync(stream);
        return doc.RootElement.GetProperty("orders").EnumerateArray().Select(x => x.GetProperty("order"))
            .Where(x => clientOrderIds.Contains(x.GetProperty("client_order_id").GetString()!))
            .Select(x => new SandboxOrder(x.GetProperty("client_order_id").GetString()!,
                DateTimeOffset.Parse(x.GetProperty("created_at").GetString()!, CultureInfo.InvariantCulture), x.GetProperty("status").GetString()!))
            .ToList();
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
