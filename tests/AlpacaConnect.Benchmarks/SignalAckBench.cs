using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// --scenario signal-ack: TradingView-style alerts (text/plain, secret in the URL, a fresh id each)
/// posted open loop at --rate (default 50/s) to one hook on the Server, --ack-trades of them
/// (default 1000) after an untimed lead-in; each ack timed from its send to the 202. The hook has
/// two followers, so the fan-out (queue runner, trades at the Sandbox) runs beside the acks, as it
/// would in production.
/// </summary>
internal sealed class SignalAckBench(BenchOptions o)
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private BenchSystem _s = null!;

    public Report Report { get; } = new();

    public async Task<Exception?> RunAsync()
    {
        try
        {
            _s = await BenchSystem.StartAsync(o);
            await _s.SetPriceAsync("SPY", "500");
            var users = Enumerable.Range(0, o.Followers).Select(i => $"ack-{_run}-{i}").ToArray();
            foreach (var user in users)
                await _s.ConnectAsync(user);
            var created = await _s.Api.PostAsJsonAsync("/api/signal-hooks", new { name = "benchmark" });
            created.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            var hookId = doc.RootElement.GetProperty("id").GetString()!;
            var url = doc.RootElement.GetProperty("url").GetString()!;
            foreach (var user in users)
                (await _s.Api.PutAsJsonAsync($"/api/signal-hooks/{hookId}/subscribers/{user}/paper", new { sizing = new { kind = "fixed_quantity", value = 1 } })).EnsureSuccessStatusCode();

            var leadIn = Math.Max(50, (int)o.Rate * 2);
            await SendAsync(url, "lead", leadIn);
            var requests0 = StorageRequestLog.Requests();
            var cpu0 = CpuClock.Mark();
            var from = System.Diagnostics.Stopwatch.GetTimestamp();
            using var pool = ThreadPoolWatch.Start();
            var results = await SendAsync(url, "timed", o.AckTrades);
            var to = System.Diagnostics.Stopwatch.GetTimestamp();
            var cpu = CpuMark.CoresBetween(cpu0, CpuClock.Mark());
            var requests = StorageRequestLog.Requests() - requests0;
            var durations = StorageRequestLog.DurationsBetween(from, to);
            var acks = Latency.Of(results.Where(r => r.Status == 202).Select(r => r.Ms));
            Report.Add("Signal ack", F($"alerts at {o.Rate:0.#}/s open loop (202 / other)"), F($"{results.Count(r => r.Status == 202)} / {results.Count(r => r.Status != 202)}"), "all 202", results.All(r => r.Status == 202));
            Report.Add("Signal ack", "POST /api/signals/{hook}/{secret} ack p50", F($"{acks.P50:0.00} ms"));
            Report.Add("Signal ack", "ack p99 / max", F($"{acks.P99:0.00} ms / {acks.Max:0.00} ms"), "p99 < 50 ms", acks.P99 < 50);
            Report.Add("Signal ack", F($"untimed lead-in ({leadIn} alerts, same rate); followers"), F($"{o.Followers}"));
            // Storage calls per alert while the timed alerts were sent, the ack's and the fan-out's. With
            // no followers these are the ack's alone: its hook reads (the signalhooks GETs beyond the
            // worker's one per message; it reads the signal once per message), its transaction (the
            // $batch POSTs beyond the worker's one completing batch per message), the queue send.
            double Per(string key) => (double)requests[key] / o.AckTrades;
            if (o.Followers == 0)
                Report.Add("Signal ack", "storage round trips per ack: hook read + transaction + queue send",
                    F($"{Per("table signalhooks GET") - Per("table signals GET"):0.00} + {Per("table $batch POST") - Per("table signals GET"):0.00} + {Per("queue signal-fanouts POST"):0.00}"), "load-independent");
            foreach (var (key, count) in requests.ByKey.OrderByDescending(r => r.Value))
            {
                var d = durations.TryGetValue(key, out var list) ? Latency.Of(list) : null;
                Report.Add("Signal ack", "  " + key, F($"{(double)count / o.AckTrades:0.00} per alert") + (d is null ? "" : F($"; p50 {d.P50:0.0} / p99 {d.P99:0.0} ms")));
            }
            Report.Add("Signal ack", "CPU cores: this process / Azurite / others", F($"{cpu.Self:0.00} / {cpu.Azurite:0.00} / {cpu.Other:0.00} (of {Environment.ProcessorCount})"));
            Report.Add("Signal ack", "thread pool: max threads / max queued work items", F($"{pool.MaxThreads} / {pool.MaxQueued}"));
            if (cpu.Other >= 0.25)
                Report.Notes.Add(F($"CONTAMINATED: other processes used {cpu.Other:0.00} of {Environment.ProcessorCount} cores during the timed alerts; rerun on a quiet machine."));
            Report.Data["signal_ack"] = new { rate = o.Rate, alerts = o.AckTrades, followers = o.Followers, acks, requests = requests.ByKey, cpu };
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            if (_s is not null)
                await _s.DisposeAsync();
        }
    }

    private async Task<List<(int Status, double Ms)>> SendAsync(string url, string tag, int count)
    {
        var sends = new List<Task<(int, double)>>(count);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / o.Rate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
                await Task.Delay(due);
            var body = F($$"""{"ticker":"SPY","action":"buy","quantity":1,"price":500,"time":"{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}}","id":"{{_run}}-{{tag}}-{{i}}"}""");
            sends.Add(PostAsync(url, body));
        }
        return [.. await Task.WhenAll(sends)];
    }

    private async Task<(int, double)> PostAsync(string url, string body)
    {
        var t0 = Stopwatch.GetTimestamp();
        using var response = await _s.Browser.PostAsync(url, new StringContent(body, Encoding.UTF8, "text/plain"));
        await response.Content.ReadAsByteArrayAsync();
        return ((int)response.StatusCode, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Samples the thread pool every 10 ms: a starved pool shows as queued work items and a growing thread count.</summary>
internal sealed class ThreadPoolWatch : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public int MaxThreads { get; private set; }
    public long MaxQueued { get; private set; }

    private ThreadPoolWatch()
    {
        _thread = new Thread(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                MaxThreads = Math.Max(MaxThreads, ThreadPool.ThreadCount);
                MaxQueued = Math.Max(MaxQueued, ThreadPool.PendingWorkItemCount);
                Thread.Sleep(10);
            }
        })
        {
            IsBackground = true,
        };
        _thread.Start();
    }

    public static ThreadPoolWatch Start() => new();

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
