using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// One benchmark run: connect users, then the phases in order (warm-up, A ack latency, idle, B
/// throughput and round trips, status sync, exactly-once check, direct-Sandbox baseline, Azurite
/// write bound), each adding rows to <see cref="Report"/>.
/// </summary>
internal sealed class Benchmark(BenchOptions o)
{
    private const string Symbol = "SPY";
    /// <summary>Far below SPY (~$500): these buy limits stay working until phase 5 pins the price under them.</summary>
    private const string FarLimitPrice = "100";
    private const string CrossingPrice = "99";

    private readonly RoundTripMeter _meter = new();
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly long _started = Stopwatch.GetTimestamp();
    private BenchSystem _s = null!;
    private string[] _users = [];
    private long _peakHeap;
    private int _accepted;

    // Phase B's results feed the comparisons after it.
    private double? _throughput, _rtPerTradeWork;

    public Report Report { get; } = new();

    public async Task<Exception?> RunAsync()
    {
        Exception? broke = null;
        using var sampler = new CancellationTokenSource();
        var heap = SampleHeapAsync(sampler.Token);
        string? prefix = null;
        try
        {
            await WarmupAsync();
            await WaitForAzuriteGcAsync("the warm-up");
            Step("starting the measured Sandbox and Server (fresh storage prefix)");
            _s = await BenchSystem.StartAsync(o);
            prefix = _s.Prefix;
            _accepted = 0;
            Report.Data["config"] = new
            {
                o.Trades, o.Users, o.Concurrency, o.Rate, o.AckTrades, o.LatencyMs, o.Warmup,
                storage_prefix = prefix,
                server_url = _s.ServerUrl.ToString(),
                sandbox_url = _s.SandboxUrl.ToString(),
                sandbox = new { latency_ms = o.LatencyMs, rate_limit_per_minute = 1_000_000, seed = BenchSystem.SandboxSeed },
                server_settings = _s.ServerConfig.Where(c => !c.Key.StartsWith("Secrets:", StringComparison.Ordinal)).ToDictionary(c => c.Key, c => c.Value),
                cores = Environment.ProcessorCount,
                gc = GCSettings.IsServerGC ? "server" : "workstation",
                runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                azurite_cpu_visible = CpuClock.AzuriteFound,
                storage = Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING") is { Length: > 0 } ? "AZURITE_CONNECTION_STRING" : "UseDevelopmentStorage=true (Azurite on 10000-10002)",
                started_at = DateTimeOffset.UtcNow,
            };

            await ConnectUsersAsync();
            // Right after Azurite's sweep: the storage capacity figures first (no app traffic), then
            // the phases, so a default run ends its measured phases (~40 s) before the next sweep.
            await StorageBoundAsync();
            await PhaseAAsync();
            var idle = await IdleAsync();
            await PhaseBAsync(idle);
            await StatusSyncAsync();
            await ExactlyOnceAsync();
            await BaselineAsync();
            CompareToStorageBound();
            foreach (var (gc, runtime) in ServerGcModes)
                await ServerMemoryAsync(gc, runtime);
        }
        catch (Exception ex)
        {
            broke = ex;
            Report.Notes.Add("RUN BROKE: " + ex.Message);
        }
        finally
        {
            await sampler.CancelAsync();
            await heap;
            MemoryFigures();
            if (_s is not null)
            {
                // After the stop: a background service that faulted may only be logged when the host stops.
                await _s.DisposeAsync();
                ServerLogFigures();
            }
            if (prefix is not null)
            {
                try
                {
                    var (tables, queues) = await Azurite.DeletePrefixedAsync(prefix);
                    Report.Notes.Add($"Cleaned up Azurite: deleted {tables} tables and {queues} queues with prefix '{prefix}'.");
                }
                catch (Exception ex)
                {
                    Report.Notes.Add($"Cleanup of prefix '{prefix}' failed: {ex.Message}");
                }
            }
            Report.Data["duration_s"] = Math.Round(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1);
            _meter.Dispose();
        }
        return broke;
    }

    // ---------------------------------------------------------------- set-up

    private async Task ConnectUsersAsync()
    {
        // SPY is ~$500 (+-1%); each Sandbox user starts with $100,000 of cash.
        var perUser = ((double)o.AckTrades + o.Trades / 2.0) / o.Users * 505 + o.Trades / 2.0 / o.Users * double.Parse(FarLimitPrice, CultureInfo.InvariantCulture);
        if (perUser > 95_000)
            Report.Notes.Add(F($"Phases A and B cost about ${perUser:0} per Sandbox user (starting cash $100,000): expect 'insufficient buying power' rejections; use more --users."));
        Step($"connecting {o.Users} users through the consent flow");
        _users = Enumerable.Range(0, o.Users).Select(i => $"bench-{_run}-u{i:0000}").ToArray();
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(_users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) => await _s.ConnectAsync(user));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Report.Add("Setup", "users connected (link > authorize > consent > callback)", F($"{o.Users} in {seconds:0.0} s"));
        Report.Data["connect"] = new { users = o.Users, seconds = Math.Round(seconds, 2) };

        // One small trade per user on the measured system: this app instance compiles its endpoint
        // delegates on first use, and the token cache holds every user, as in steady state.
        var deletes = (_meter.QueueDeletes, _meter.QueueSends);
        var results = await ClosedLoopAsync(_users.Select(u => TradeBody(u, limit: false, qty: "0.001")).ToArray(), "p", Math.Min(16, o.Concurrency));
        var ids = Accepted(results, "priming");
        if (!(await WaitDoneAsync(ids, deletes, Timeout(ids.Count))).All)
            throw new TimeoutException("Priming trades never reached Alpaca.");
        Report.Add("Setup", "priming trades on the measured system (one per user)", F($"{ids.Count}"));
    }

    /// <summary>
    /// Warms the process up on a throwaway system (its own Sandbox, Server and storage prefix, deleted
    /// afterwards): JIT state is per process, while Azurite's per-call cost grows with the rows and
    /// messages it holds, so the measured system must start with empty tables. Market trades (qty
    /// 0.001, ~$0.50) by up to 20 users: at least --warmup, then rounds of 200 until a round compiles
    /// for under 2% of its wall time (tiered PGO keeps recompiling hot code for a while). At most 40 s.
    /// </summary>
    private async Task WarmupAsync()
    {
        if (o.Warmup == 0)
            return;
        Step($"warm-up on a throwaway system: at least {o.Warmup} trades, then until the JIT settles (at most 2,000)");
        var start = Stopwatch.GetTimestamp();
        var total = 0;
        var rounds = new List<object>();
        _s = await BenchSystem.StartAsync(o);
        var warmPrefix = _s.Prefix;
        try
        {
            var users = Enumerable.Range(0, Math.Min(20, o.Users)).Select(i => $"bench-{_run}-w{i:0000}").ToArray();
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) => await _s.ConnectAsync(user));
            while (true)
            {
                var count = total == 0 ? o.Warmup : 200;
                var deletes = (_meter.QueueDeletes, _meter.QueueSends);
                var cpu0 = CpuClock.Mark();
                var bodies = Enumerable.Range(total, count).Select(i => TradeBody(users[i % users.Length], limit: false, qty: "0.001")).ToArray();
                var results = await ClosedLoopAsync(bodies, "w" + rounds.Count, Math.Min(16, o.Concurrency));
                var ids = Accepted(results, "warm-up");
                var done = await WaitDoneAsync(ids, deletes, Timeout(ids.Count));
                if (!done.All)
                    throw new TimeoutException($"Warm-up: {done.Pending} trades never reached Alpaca.");
                var cpu = CpuMark.CoresBetween(cpu0, CpuClock.Mark());
                var wallMs = Stopwatch.GetElapsedTime(cpu0.Ts).TotalMilliseconds;
                total += ids.Count;
                rounds.Add(new { trades = ids.Count, wall_ms = Math.Round(wallMs), jit_methods = cpu.JitMethods, jit_ms = cpu.JitMs });
                // Capped at 2,000 trades: Azurite's next queue sweep costs O(n^2) in the messages sent
                // since the last one (6,000 kept it busy for ~50 s, into the measured phases).
                if (cpu.JitMs < 0.02 * wallMs || total >= 2000 || Stopwatch.GetElapsedTime(start).TotalSeconds > 40)
                    break;
            }
            // The status sync and the trade reads are warmed too (their phases time them).
            await _s.StatusSync.RunAsync(CancellationToken.None);
        }
        finally
        {
            var warm = _s;
            _s = null!;
            await warm.DisposeAsync();
            await Azurite.DeletePrefixedAsync(warmPrefix);
        }
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Report.Add("Setup", "warm-up on a throwaway system (not measured), until the JIT settled", F($"{total} trades in {seconds:0.0} s ({rounds.Count} rounds)"));
        Report.Data["warmup"] = new { trades = total, seconds = Math.Round(seconds, 1), storage_prefix = warmPrefix, rounds };
    }

    /// <summary>
    /// Azurite sweeps unreferenced queue-message extents every 60 s; after heavy queue traffic (the
    /// warm-up, the storage bound's replay) a sweep keeps its single thread busy for seconds and
    /// every request waits. Waiting here for that sweep to run and end (at most 75 s) puts the next
    /// one >= 60 s away, past the phases that follow. Phases still flag any storage call over 2 s.
    /// </summary>
    private readonly List<object> _gcWaits = [];

    private async Task WaitForAzuriteGcAsync(string after)
    {
        if (o.Warmup == 0 || !CpuClock.AzuriteFound)
            return;
        Step($"waiting for Azurite's periodic queue GC sweep after {after} (at most 75 s)");
        var start = Stopwatch.GetTimestamp();
        var last = CpuClock.AzuriteSecondsNow();
        var lastTs = Stopwatch.GetTimestamp();
        double busySeconds = 0;
        var seen = false;
        var quiet = 0;
        var busyRun = 0;
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < 75)
        {
            await Task.Delay(500);
            var now = CpuClock.AzuriteSecondsNow();
            var ts = Stopwatch.GetTimestamp();
            var cores = (now - last) / Clock.Seconds(lastTs, ts);
            (last, lastTs) = (now, ts);
            // A sweep keeps Azurite's one thread busy for a second or more; shorter blips are the
            // warm-up's clean-up, not the sweep.
            busyRun = cores >= 0.5 ? busyRun + 1 : 0;
            if (cores >= 0.5)
                busySeconds += 0.5;
            if (busyRun >= 2)
                seen = true;
            // The sweep awaits between batches of deletes: only 2 s of quiet in a row means it is over.
            quiet = cores < 0.1 ? quiet + 1 : 0;
            if (seen && quiet >= 4)
                break;
        }
        var waited = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Report.Add("Setup", $"waited for Azurite's queue GC sweep after {after} (it blocks every request)", seen
            ? F($"{waited:0.0} s; the sweep kept Azurite busy ~{busySeconds:0.0} s")
            : F($"{waited:0.0} s; no sweep seen"));
        _gcWaits.Add(new { after, seconds = Math.Round(waited, 1), sweep_seen = seen, sweep_busy_seconds = busySeconds });
        Report.Data["azurite_gc_waits"] = _gcWaits;
    }

    /// <summary>Notes a phase in which some storage call took over 2 s: Azurite was stalled (its queue GC, most likely).</summary>
    private void FlagStalls(string phase, SortedDictionary<string, Latency> calls)
    {
        var worst = calls.Where(c => c.Value.Count > 0).OrderByDescending(c => c.Value.Max).FirstOrDefault();
        if (worst.Value is { Max: > 2000 } l)
            Report.Notes.Add(F($"STALL: during {phase} a storage call ({worst.Key}) took {l.Max / 1000:0.0} s. Azurite's periodic queue GC (every 60 s, ~1 core for seconds after heavy queue traffic) blocks every request; this phase's figures include it."));
    }

    // ---------------------------------------------------------------- phase A

    /// <summary>Timer-paced POSTs at the phase A rate, each on its own task (open loop: a slow answer never delays the next send).</summary>
    private async Task<(PostResult[] Results, double[] LagMs, long T0, long LastScheduled)> OpenLoopAsync(byte[][] bodies, string keyPrefix, HttpClient? api = null)
    {
        var results = new PostResult[bodies.Length];
        var lagMs = new double[bodies.Length];
        var sends = new Task[bodies.Length];
        var periodTicks = Stopwatch.Frequency / o.Rate;
        var t0 = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        for (var i = 0; i < bodies.Length; i++)
        {
            var due = t0 + (long)(i * periodTicks);
            // Sleep in whole milliseconds until less than 1 ms is left, then send without waiting for earlier sends.
            while (true)
            {
                var remaining = Clock.Ms(Stopwatch.GetTimestamp(), due);
                if (remaining < 1)
                    break;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Floor(remaining)));
            }
            lagMs[i] = Clock.Ms(due, Stopwatch.GetTimestamp());
            var index = i;
            sends[i] = Task.Run(async () => results[index] = await PostTradeAsync(bodies[index], Key(keyPrefix, index), api));
        }
        var lastScheduled = Stopwatch.GetTimestamp();
        await Task.WhenAll(sends);
        return (results, lagMs, t0, lastScheduled);
    }

    private async Task PhaseAAsync()
    {
        var n = o.AckTrades;
        var leadIn = (int)Math.Ceiling(o.Rate);
        Step($"phase A: {leadIn} untimed then {n} timed market trades, open-loop at {o.Rate:0.#}/s");
        var bodies = Enumerable.Range(0, leadIn + n).Select(i => TradeBody(_users[i % _users.Length], limit: false)).ToArray();

        var deletes = (_meter.QueueDeletes, _meter.QueueSends);
        var rt0 = _meter.Snapshot();
        var polls0 = StorageRequestLog.Polls();
        // One untimed second at the same rate first: the figure is the steady state at that rate,
        // not the ramp out of the storage-bound flood just before it. Its tail is reported apart.
        var lead = await OpenLoopAsync(bodies[..leadIn], "a0-");
        var cpu0 = CpuClock.Mark();
        var (pause0, gcs0) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0));
        var timed = await OpenLoopAsync(bodies[leadIn..], "a-");
        var (results, lagMs, t0, lastScheduled) = timed;
        var cpu1 = CpuClock.Mark();
        var (pauseMs, gcs) = ((GC.GetTotalPauseDuration() - pause0).TotalMilliseconds, GC.CollectionCount(0) - gcs0);

        var ids = Accepted([.. lead.Results, .. results], "phase A");
        var done = await WaitDoneAsync(ids, deletes, Timeout(ids.Count));
        var storage = StorageLatency(t0, Stopwatch.GetTimestamp());
        FlagStalls("phase A", storage);
        var rt = _meter.Snapshot() - rt0;
        var polls = StorageRequestLog.Polls() - polls0;

        var ack = Latency.Of(results.Where(r => r.Status == 202).Select(r => r.Ms));
        var lag = Latency.Of(lagMs);
        var offered = (n - 1) / Clock.Seconds(t0, lastScheduled);
        var errors = results.Count(r => r.Status != 202);
        var cpu = Watch("phase A", CpuMark.CoresBetween(cpu0, cpu1));

        Report.Add("A ack latency", F($"POST /api/trades ack p50 (open loop {o.Rate:0.#}/s)"), Ms(ack.P50));
        Report.Add("A ack latency", "ack p90", Ms(ack.P90));
        Report.Add("A ack latency", "ack p99", Ms(ack.P99), "< 15 ms", ack.P99 < 15);
        Report.Add("A ack latency", "ack max", Ms(ack.Max));
        // Where the tail sits in time tells a one-off stall (clustered) from steady contention (spread).
        var slowest = results.Select((r, i) => (At: i / o.Rate, r.Ms)).Where(x => x.Ms >= 15).OrderBy(x => x.At).ToList();
        var perSecond = Enumerable.Range(0, (int)Math.Ceiling(n / o.Rate)).Select(sec => slowest.Count(x => (int)x.At == sec));
        Report.Add("A ack latency", "acks >= 15 ms: total (per second of the phase)", F($"{slowest.Count} ({string.Join(" ", perSecond)})"));
        Report.Add("A ack latency", F($"untimed lead-in ({leadIn} trades, same rate): ack p99 / max"), F($"{Latency.Of(lead.Results.Where(r => r.Status == 202).Select(r => r.Ms)).P99:0.00} ms / {Latency.Of(lead.Results.Where(r => r.Status == 202).Select(r => r.Ms)).Max:0.00} ms"));
        Report.Add("A ack latency", "GCs in this process meanwhile / their pauses in total", F($"{gcs} / {pauseMs:0} ms"));
        Report.Add("A ack latency", "offered rate / sender lag p99 (max)", F($"{offered:0.0}/s / {lag.P99:0.00} ms ({lag.Max:0.00} ms)"));
        foreach (var (key, l) in storage.Where(k => k.Key is "table $batch POST" or "table trades POST" or "table workindex PUT" or "queue trade-executions POST" or "table trades PUT"))
            Report.Add("A ack latency", "  Server's storage call " + key, l.Short);
        Report.Add("A ack latency", "non-202 answers", F($"{errors} of {n}"), "0", errors == 0);
        Report.Add("A ack latency", "storage RT/trade at this rate (incl. empty polls)", F($"{(double)rt.Total / Math.Max(1, ids.Count):0.00} ({polls.Empty} empty polls)"));
        Report.Add("A ack latency", "CPU cores busy: this process / Azurite / other", Cpu(cpu));
        Report.Data["phase_a"] = new
        {
            trades = n,
            accepted = ids.Count,
            non_202 = errors,
            error_samples = ErrorSamples(results),
            target_rate_per_s = o.Rate,
            offered_rate_per_s = Math.Round(offered, 2),
            ack_ms = ack,
            sender_lag_ms = lag,
            all_submitted = done.All,
            failed_at_execution = done.Failed,
            round_trips = rt.ByKey,
            round_trips_per_trade = Math.Round((double)rt.Total / Math.Max(1, ids.Count), 3),
            queue_polls = polls.ByQueue,
            storage_call_ms = storage,
            cpu_cores_busy = cpu,
            definition = "ack = Stopwatch around HttpClient.SendAsync (headers and body read) of POST /api/trades; sends are timer-paced at the target rate (open loop), each on its own task.",
        };
    }

    // ---------------------------------------------------------------- idle

    private async Task<IdleRates> IdleAsync()
    {
        Step("idle: measuring background storage round trips with no traffic");
        // Let the queue runner's empty-poll back-off reach its steady interval first.
        await Task.Delay(1500);
        var rt0 = _meter.Snapshot();
        var polls0 = StorageRequestLog.Polls();
        var t0 = Stopwatch.GetTimestamp();
        await Task.Delay(2500);
        var rt = _meter.Snapshot() - rt0;
        var polls = StorageRequestLog.Polls() - polls0;
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var rates = rt.ByKey.ToDictionary(k => k.Key, k => k.Value / seconds, StringComparer.Ordinal);
        Report.Add("Idle", "background RT/s with no traffic (queue polls)", F($"{rt.Total / seconds:0.00}/s ({string.Join(", ", rates.Select(r => F($"{r.Key} {r.Value:0.00}")))})"));
        Report.Data["idle"] = new { seconds = Math.Round(seconds, 2), round_trips = rt.ByKey, per_second = rates.ToDictionary(r => r.Key, r => Math.Round(r.Value, 3)), queue_polls = polls.ByQueue };
        return new IdleRates(rates);
    }

    // ---------------------------------------------------------------- phase B

    private async Task PhaseBAsync(IdleRates idle)
    {
        var n = o.Trades;
        Step($"phase B: {n} trades (half market, half limit @ {FarLimitPrice}) closed-loop at concurrency {o.Concurrency}");
        // Each pass over the users alternates the kind, so every user gets both market and limit trades.
        var limits = Enumerable.Range(0, n).Select(i => i / _users.Length % 2 == 1).ToArray();
        var bodies = Enumerable.Range(0, n).Select(i => TradeBody(_users[i % _users.Length], limits[i])).ToArray();

        var deletes = (_meter.QueueDeletes, _meter.QueueSends);
        var rt0 = _meter.Snapshot();
        var polls0 = StorageRequestLog.Polls();
        var res0 = StorageRequestLog.Requests();
        var gauge0 = _s.AlpacaOrders.Mark();
        var cpu0 = CpuClock.Mark();
        var t0 = Stopwatch.GetTimestamp();
        var results = await ClosedLoopAsync(bodies, "b", o.Concurrency);
        var postedAt = Stopwatch.GetTimestamp();
        var ids = Accepted(results, "phase B");
        var done = await WaitDoneAsync(ids, deletes, Timeout(ids.Count));
        var rtEnd = Stopwatch.GetTimestamp();
        var storage = StorageLatency(t0, rtEnd);
        FlagStalls("phase B", storage);
        var rt = _meter.Snapshot() - rt0;
        var polls = StorageRequestLog.Polls() - polls0;
        var byResource = StorageRequestLog.Requests() - res0;
        var gauge = GaugeMark.Between(gauge0, _s.AlpacaOrders.Mark());
        var cpu = Watch("phase B", CpuMark.CoresBetween(cpu0, CpuClock.Mark()));
        if (!done.All)
            throw new TimeoutException($"Phase B: {done.Pending} of {ids.Count} trades did not reach Alpaca within {Timeout(ids.Count).TotalSeconds:0} s.");

        var windowS = Clock.Seconds(t0, done.LastAt);
        var rtWindowS = Clock.Seconds(t0, rtEnd);
        var throughput = ids.Count / windowS;
        var acceptRate = ids.Count / Clock.Seconds(t0, postedAt);
        // Once every POST is answered only the executor works: its own drain rate, free of accept traffic.
        var doneAfterPosting = done.DoneAt.Count(at => at > postedAt);
        var drainRate = done.LastAt > postedAt ? doneAfterPosting / Clock.Seconds(postedAt, done.LastAt) : double.NaN;
        var doneWhilePosting = ids.Count - doneAfterPosting;
        var ack = Latency.Of(results.Where(r => r.Status == 202).Select(r => r.Ms));

        // Accept -> at Alpaca, from each trade's own history (server clock).
        Step($"phase B: reading {ids.Count} trades back (GET /api/trades/{{id}}) for their history");
        var trades = await ReadTradesAsync(ids);
        var e2e = Latency.Of(trades.Where(t => t.SubmittedMs is not null).Select(t => t.SubmittedMs!.Value));
        var statuses = trades.GroupBy(t => t.Status).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var withoutOrder = trades.Count(t => !t.HasAlpacaOrder);

        var perTrade = (double)rt.Total / ids.Count;
        var idleEstimate = idle.Expected(rtWindowS);
        var adjusted = (rt.Total - idleEstimate) / ids.Count;
        var work = (double)(rt.Total - polls.Empty) / ids.Count;
        _throughput = throughput;
        _rtPerTradeWork = work;

        Report.Add("B throughput", "trades accepted -> recorded at Alpaca", F($"{throughput:0.0} trades/s ({ids.Count} in {windowS:0.00} s)"));
        Report.Add("B throughput", "accept rate (all POSTs answered)", F($"{acceptRate:0.0}/s (posting took {Clock.Seconds(t0, postedAt):0.00} s)"));
        Report.Add("B throughput", "executor alone after the last POST (drain rate)", F($"{drainRate:0.0} trades/s ({doneAfterPosting} trades; {doneWhilePosting} were done while posting)"));
        Report.Add("B throughput", F($"ack under load (C={o.Concurrency})"), ack.Short);
        Report.Add("B throughput", "accept -> submitted/filled (history)", F($"p50 {e2e.P50:0} ms / p99 {e2e.P99:0} ms / max {e2e.Max:0} ms"));
        Report.Add("B throughput", "Alpaca order POSTs in flight: avg / max", F($"{gauge.Average:0.0} / {gauge.Max}"));
        Report.Add("B throughput", "CPU cores busy: this process / Azurite / other", Cpu(cpu));
        var azuriteMsPerRt = CpuClock.AzuriteFound && rt.Total > 0 ? cpu.Azurite * rtWindowS * 1000 / rt.Total : double.NaN;
        if (CpuClock.AzuriteFound)
            Report.Add("B throughput", "Azurite CPU per storage round trip", F($"{azuriteMsPerRt:0.00} ms (1 core = {1000 / azuriteMsPerRt:0} RT/s = {1000 / azuriteMsPerRt / PerTrade(rt.Total, ids.Count):0} trades/s)"));
        Report.Add("B throughput", "statuses after the phase", string.Join(", ", statuses.Select(s => $"{s.Key} {s.Value}")) + (withoutOrder > 0 ? $", {withoutOrder} without an Alpaca order" : ""),
            "all at Alpaca", withoutOrder == 0 && done.Failed == 0);
        Report.Add("B round trips", "storage RT/trade, raw (all RTs in window / trades)", F($"{perTrade:0.00} ({rt.Total} RTs)"), "<= 5", perTrade <= 5);
        Report.Add("B round trips", "  of which empty queue polls (counted exactly)", F($"{polls.Empty} ({(double)polls.Empty / ids.Count:0.00}/trade); idle-rate estimate {idleEstimate:0}"));
        Report.Add("B round trips", "storage RT/trade excluding empty polls", F($"{work:0.00}"), "<= 5", work <= 5);
        Report.Add("B round trips", "storage RT/trade idle-adjusted (raw - idle rate x window)", F($"{adjusted:0.00}"));
        foreach (var (key, count) in byResource.ByKey)
            Report.Add("B round trips", "  " + key, F($"{count} ({(double)count / ids.Count:0.000}/trade; {(storage.TryGetValue(key, out var l) ? l.Short : "")})"));
        Report.Add("B round trips", "  queue messages received / non-empty polls", F($"{polls.Messages} / {polls.NonEmpty} ({(polls.NonEmpty == 0 ? 0 : (double)polls.Messages / polls.NonEmpty):0.0} per poll)"));

        Report.Data["phase_b"] = new
        {
            trades = n,
            accepted = ids.Count,
            non_202 = results.Count(r => r.Status != 202),
            error_samples = ErrorSamples(results),
            market = limits.Count(l => !l),
            limit = limits.Count(l => l),
            throughput_trades_per_s = Math.Round(throughput, 2),
            window_s = Math.Round(windowS, 3),
            accept_rate_per_s = Math.Round(acceptRate, 2),
            posting_s = Math.Round(Clock.Seconds(t0, postedAt), 3),
            executor_drain_rate_after_posting_per_s = Math.Round(drainRate, 2),
            done_while_posting = doneWhilePosting,
            ack_ms = ack,
            accept_to_submitted_ms = e2e,
            statuses,
            without_alpaca_order = withoutOrder,
            failed_at_execution = done.Failed,
            azurite_cpu_ms_per_round_trip = Math.Round(azuriteMsPerRt, 3),
            alpaca_order_posts_in_flight = new { average = Math.Round(gauge.Average, 2), max = gauge.Max, count = gauge.Count },
            cpu_cores_busy = cpu,
            round_trips = new
            {
                window_s = Math.Round(rtWindowS, 3),
                total = rt.Total,
                by_service_method = rt.ByKey,
                by_resource = byResource.ByKey,
                by_resource_total = byResource.Total,
                call_ms = storage,
                per_trade_raw = Math.Round(perTrade, 3),
                empty_queue_polls = polls.Empty,
                per_trade_excluding_empty_polls = Math.Round(work, 3),
                idle_estimate = Math.Round(idleEstimate, 1),
                per_trade_idle_adjusted = Math.Round(adjusted, 3),
                queue_polls = polls.ByQueue,
            },
            definitions = new
            {
                throughput = "accepted trades / (first POST sent -> the executor's log that the last trade was recorded at Alpaca, i.e. after its table write succeeded)",
                round_trip_window = "first POST sent -> every trade recorded and every queue message deleted (the last storage call of an execution)",
                accept_to_submitted = "per trade: history 'at' of the first event after 'accepted' minus the 'accepted' event's 'at' (both server clock; 'accepted' is stamped before the accept transaction, the next event before the executor's table write)",
                empty_polls = "receive-messages answers with no message, counted by a benchmark pipeline policy on the Server's queue client (both the queue and its -poison twin)",
            },
        };
    }

    // ---------------------------------------------------------------- phase 5: status sync

    private async Task StatusSyncAsync()
    {
        Step($"status sync: pinning {Symbol} at {CrossingPrice} (limits at {FarLimitPrice} cross), one TradeStatusSync.RunAsync");
        await _s.SetPriceAsync(Symbol, CrossingPrice);
        var rt0 = _meter.Snapshot();
        var polls0 = StorageRequestLog.Polls();
        var res0 = StorageRequestLog.Requests();
        var cpu0 = CpuClock.Mark();
        var t0 = Stopwatch.GetTimestamp();
        var sync = await _s.StatusSync.RunAsync(CancellationToken.None);
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var storage = StorageLatency(t0, Stopwatch.GetTimestamp());
        FlagStalls("the status sync", storage);
        var cpu = Watch("the status sync", CpuMark.CoresBetween(cpu0, CpuClock.Mark()));
        var rt = _meter.Snapshot() - rt0;
        var polls = StorageRequestLog.Polls() - polls0;
        var byResource = StorageRequestLog.Requests() - res0;
        await _s.UnpinPriceAsync(Symbol);

        var open = Math.Max(1, sync.OpenTrades);
        var table = rt.ByKey.Where(k => k.Key.StartsWith("table ", StringComparison.Ordinal)).Sum(k => k.Value);
        Report.Add("Status sync", "open trades processed / updated", F($"{sync.OpenTrades} / {sync.Updated} (re-queued {sync.Requeued}, settled {sync.Settled})"),
            "updated = open", sync.OpenTrades > 0 && sync.Updated == sync.OpenTrades);
        Report.Add("Status sync", "storage RT per open trade (table only)", F($"{(double)table / open:0.00} ({string.Join(", ", byResource.ByKey.Where(k => k.Key.StartsWith("table", StringComparison.Ordinal)).Select(k => $"{k.Key[6..]} {k.Value}"))})"));
        Report.Add("Status sync", "storage RT per open trade (raw, incl. queue polls meanwhile)", F($"{(double)rt.Total / open:0.00} ({polls.Empty} empty polls)"));
        Report.Add("Status sync", "Alpaca calls / run time", F($"{sync.AlpacaCalls} / {seconds:0.00} s ({sync.OpenTrades / Math.Max(seconds, 1e-9):0} trades/s)"));
        Report.Add("Status sync", "CPU cores busy: this process / Azurite / other", Cpu(cpu));
        Report.Data["status_sync"] = new
        {
            open_trades = sync.OpenTrades,
            updated = sync.Updated,
            requeued = sync.Requeued,
            settled = sync.Settled,
            alpaca_calls = sync.AlpacaCalls,
            seconds = Math.Round(seconds, 3),
            cpu_cores_busy = cpu,
            round_trips = rt.ByKey,
            round_trips_by_resource = byResource.ByKey,
            call_ms = storage,
            round_trips_total = rt.Total,
            round_trips_per_open_trade = Math.Round((double)rt.Total / open, 3),
            table_round_trips_per_open_trade = Math.Round((double)table / open, 3),
            empty_queue_polls = polls.Empty,
            price_pinned = new { symbol = Symbol, price = CrossingPrice, limit_price = FarLimitPrice },
        };
    }

    private async Task ExactlyOnceAsync()
    {
        var counts = await _s.SandboxOrderCountsAsync();
        var atSandbox = counts.Where(c => c.Key.StartsWith($"bench-{_run}-u", StringComparison.Ordinal)).Sum(c => c.Value);
        Report.Add("Correctness", "orders at the Sandbox / trades accepted (all phases)", F($"{atSandbox} / {_accepted}"), "equal (exactly once)", atSandbox == _accepted);
        Report.Data["exactly_once"] = new { orders_at_sandbox = atSandbox, trades_accepted = _accepted };
    }

    // ---------------------------------------------------------------- phase 6: baseline

    private async Task BaselineAsync()
    {
        var n = o.Trades;
        Step($"baseline: {n} orders straight to the Sandbox (POST /paper/v2/orders) at concurrency {o.Concurrency}");
        var usernames = Enumerable.Range(0, o.Users).Select(i => $"bench-{_run}-base{i:0000}").ToArray();
        var tokens = new string[usernames.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, usernames.Length), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => tokens[i] = await _s.DirectTokenAsync(usernames[i]));

        var bodies = Enumerable.Range(0, n).Select(i =>
        {
            var limit = i / usernames.Length % 2 == 1;
            var coid = $"base-{_run}-{i}";
            return Encoding.UTF8.GetBytes(limit
                ? $$"""{"symbol":"{{Symbol}}","qty":"1","side":"buy","type":"limit","time_in_force":"gtc","limit_price":"{{FarLimitPrice}}","client_order_id":"{{coid}}"}"""
                : $$"""{"symbol":"{{Symbol}}","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"{{coid}}"}""");
        }).ToArray();

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseCookies = false }) { BaseAddress = _s.SandboxUrl, Timeout = TimeSpan.FromSeconds(60) };
        var results = new PostResult[n];
        var next = -1;
        var gauge0 = _s.AlpacaOrders.Mark();
        var cpu0 = CpuClock.Mark();
        var t0 = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, o.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/paper/v2/orders") { Content = Json(bodies[i]) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[i % tokens.Length]);
                results[i] = await SendAsync(http, request, expect: HttpStatusCode.OK);
            }
        })));
        var end = results.Max(r => r.End);
        var gauge = GaugeMark.Between(gauge0, _s.AlpacaOrders.Mark());
        var cpu = Watch("the baseline", CpuMark.CoresBetween(cpu0, CpuClock.Mark()));
        var ok = results.Count(r => r.Status == 200);
        var seconds = Clock.Seconds(t0, end);
        var rate = ok / seconds;
        var latency = Latency.Of(results.Where(r => r.Status == 200).Select(r => r.Ms));

        Report.Add("Baseline", "orders/s placed directly on the Sandbox", F($"{rate:0.0}/s ({ok} of {n} in {seconds:0.00} s; {latency.Short})"),
            n == ok ? "" : "all 200", n == ok ? null : false);
        Report.Add("Baseline", "Alpaca order POSTs in flight: avg / max", F($"{gauge.Average:0.0} / {gauge.Max}"));
        Report.Add("Baseline", "CPU cores busy: this process / Azurite / other", Cpu(cpu));
        if (_throughput is { } ours)
            Report.Add("Baseline", "ours / baseline throughput", F($"{ours / rate:0.00} ({ours:0.0} / {rate:0.0})"));
        Report.Data["baseline"] = new
        {
            orders = n,
            ok,
            error_samples = ErrorSamples(results),
            orders_per_s = Math.Round(rate, 2),
            seconds = Math.Round(seconds, 3),
            latency_ms = latency,
            in_flight = new { average = Math.Round(gauge.Average, 2), max = gauge.Max },
            cpu_cores_busy = cpu,
            ratio_ours_to_baseline = _throughput is { } t ? Math.Round(t / rate, 3) : (double?)null,
            definition = "Sandbox users of their own (OAuth code flow done by the benchmark), the same order mix, closed loop at the same concurrency; first send -> last answer.",
        };
    }

    // ---------------------------------------------------------------- phase 7: storage bound

    private double? _upsertsPerS;
    private bool _upsertsStalled;
    private MixResult? _mix;

    /// <summary>Pairs of rounds interleaved, so both figures see the same Azurite (its speed drifts by ±30 % between 3 s windows).</summary>
    private const int BoundRounds = 3;

    /// <summary>
    /// What Azurite sustains at concurrency C: small-entity upserts (the issue's bound), and a replay
    /// of a trade's own storage calls without the app (what any code with these calls can reach).
    /// </summary>
    private async Task StorageBoundAsync()
    {
        Step($"storage bound: {BoundRounds} rounds each of Azurite table upserts and of a storage-only replay of trades, interleaved, at concurrency {o.Concurrency}");
        // Clients and names of our own (no metric policy, no app): these calls are not the app's round trips.
        var table = new TableServiceClient(BenchSystem.StorageConnectionString).GetTableClient($"bound{_run}");
        await table.CreateIfNotExistsAsync();
        for (var i = 0; i < 20; i++)
            await table.UpsertEntityAsync(new TableEntity("warm", $"w{i}") { ["V"] = i }, TableUpdateMode.Replace);

        // Untimed rounds first, until this process's JIT (tier-1 recompiles) settles: it would
        // otherwise share the cores with Azurite and understate the bound.
        for (var round = 0; round < 10; round++)
        {
            var warm0 = CpuClock.Mark();
            await UpsertsAsync(table, $"warm{round}-", 1);
            await ReplayAsync(table, 0.5);
            var warm = CpuMark.CoresBetween(warm0, CpuClock.Mark());
            if (warm.JitMs < 0.02 * Stopwatch.GetElapsedTime(warm0.Ts).TotalMilliseconds)
                break;
        }
        var upserts = new List<MixResult>();
        var replays = new List<MixResult>();
        for (var round = 0; round < BoundRounds; round++)
        {
            upserts.Add(await UpsertsAsync(table, $"r{round}-", 2));
            replays.Add(await ReplayAsync(table, 2));
        }
        // Leftover rows would make the app's calls dearer (Azurite scans a whole table for a query).
        await table.DeleteAsync();

        var bound = MixResult.Sum(upserts);
        _mix = MixResult.Sum(replays);
        _upsertsPerS = bound.RoundTripsPerS;
        _upsertsStalled = bound.Stalled;
        Watch("the storage bound", bound.Cpu);
        Watch("the storage-only replay", _mix.Cpu);
        if (bound.Stalled)
            Report.Notes.Add(F($"STALL: during the upsert bound a write took {bound.Latency.Max / 1000:0.0} s (Azurite's queue GC, most likely); the bound is understated and not judged."));
        if (_mix.Stalled)
            Report.Notes.Add(F($"STALL: during the storage-only replay a call took {_mix.Latency.Max / 1000:0.0} s (Azurite's queue GC, most likely); the replay is understated and not judged."));

        string PerRound(List<MixResult> rounds) => string.Join(" / ", rounds.Select(r => F($"{r.RoundTripsPerS:0}")));
        Report.Add("Storage bound", F($"Azurite table upserts/s at C={o.Concurrency} ({BoundRounds} rounds)"),
            F($"{bound.RoundTripsPerS:0} /s ({bound.RoundTrips} in {bound.Seconds:0.0} s; rounds {PerRound(upserts)}; {bound.Latency.Short})"));
        Report.Add("Storage bound", "CPU cores busy: this process / Azurite / other", Cpu(bound.Cpu));
        Report.Add("Storage bound", "storage-only replay of a trade's 2 calls, insert and replace (interleaved rounds)",
            F($"{_mix.TradesPerS:0.0} trades/s = {_mix.RoundTripsPerS:0} RT/s (rounds {PerRound(replays)} RT/s; per call {_mix.Latency.Short}; Azurite {(CpuClock.AzuriteFound ? F($"{_mix.Cpu.Azurite:0.00}") : "n/a")} cores)"));
        Report.Add("Storage bound", "replay RT/s / upsert RT/s: the share of the bound these calls can reach",
            F($"{_mix.RoundTripsPerS / bound.RoundTripsPerS:0.00} (Azurite CPU per call: upsert {bound.AzuriteMsPerRoundTrip:0.00} ms, replay {_mix.AzuriteMsPerRoundTrip:0.00} ms)"));
        Report.Data["storage_bound"] = new
        {
            writes = bound.RoundTrips,
            seconds = Math.Round(bound.Seconds, 3),
            writes_per_s = Math.Round(bound.RoundTripsPerS, 1),
            rounds_writes_per_s = upserts.Select(r => Math.Round(r.RoundTripsPerS, 1)).ToList(),
            latency_ms = bound.Latency,
            stalled = bound.Stalled,
            cpu_cores_busy = bound.Cpu,
            definition = F($"UpsertEntity (Replace, i.e. PUT) of small entities into a scratch table, C workers, {BoundRounds} rounds of >= 2 s interleaved with the replay's rounds, after untimed rounds until the client's JIT settles (< 2% of a round), measured right after Azurite's queue sweep, before phase A (no app traffic); the bound treats every round trip of a trade as costing one such write."),
            replay = new
            {
                trades = _mix.Trades,
                seconds = Math.Round(_mix.Seconds, 3),
                trades_per_s = Math.Round(_mix.TradesPerS, 1),
                round_trips = _mix.RoundTrips,
                round_trips_per_s = Math.Round(_mix.RoundTripsPerS, 1),
                rounds_round_trips_per_s = replays.Select(r => Math.Round(r.RoundTripsPerS, 1)).ToList(),
                ratio_to_upserts = Math.Round(_mix.RoundTripsPerS / bound.RoundTripsPerS, 3),
                call_ms = _mix.Latency,
                stalled = _mix.Stalled,
                cpu_cores_busy = _mix.Cpu,
                definition = "C workers, each trade the app's own calls with its own types, as an inline execution makes them: insert the TradeEntity (row key = the idempotency key's hash; no subscriber, so no outbox row), Replace under the row's ETag after Record(filled); no queue message (the Server runs the trade inline) and no share of the group-committed index write (a few hundredths of a call per trade under load). The app's storage work per trade without HTTP, Alpaca or the app's scheduling.",
            },
        };
    }

    /// <summary>Phase B's throughput against the storage capacity measured before phase A.</summary>
    private void CompareToStorageBound()
    {
        if (_throughput is not { } ours || _rtPerTradeWork is not { } rtpt || _upsertsPerS is not { } ups || _mix is null)
            return;
        var bound = ups / rtpt;
        Report.Add("Storage bound", "bound = upserts/s / RT per trade (excl. empty polls)", F($"{bound:0.0} trades/s (/{rtpt:0.00})"));
        Report.Add("Storage bound", "our throughput vs bound", F($"{ours:0.0} = {ours / bound:0.00} x bound"),
            _upsertsStalled ? "n/a: bound stalled" : ">= 0.8 x bound", _upsertsStalled ? null : ours >= 0.8 * bound);
        Report.Add("Storage bound", "our throughput vs storage-only replay", F($"{ours:0.0} = {ours / _mix.TradesPerS:0.00} x replay"),
            _mix.Stalled ? "n/a: replay stalled" : ">= 0.8 x replay", _mix.Stalled ? null : ours >= 0.8 * _mix.TradesPerS);
        Report.Data["storage_comparison"] = new
        {
            round_trips_per_trade_used = Math.Round(rtpt, 3),
            bound_trades_per_s = Math.Round(bound, 1),
            ours_trades_per_s = Math.Round(ours, 1),
            ratio_to_bound = Math.Round(ours / bound, 3),
            replay_trades_per_s = Math.Round(_mix.TradesPerS, 1),
            ratio_to_replay = Math.Round(ours / _mix.TradesPerS, 3),
        };
    }

    /// <summary>One timed round (or the sum of several): trades (0 for upserts), round trips, latency per call.</summary>
    private sealed record MixResult(int Trades, double Seconds, long RoundTrips, CpuUse Cpu, double[] CallMs)
    {
        public Latency Latency { get; } = Latency.Of(CallMs);
        public bool Stalled => Latency.Max > 2000;
        public double TradesPerS => Trades / Seconds;
        public double RoundTripsPerS => RoundTrips / Seconds;
        public double AzuriteMsPerRoundTrip => Cpu.Azurite * Seconds * 1000 / RoundTrips;

        public static MixResult Sum(List<MixResult> rounds)
        {
            var seconds = rounds.Sum(r => r.Seconds);
            double Weighted(Func<CpuUse, double> f) => rounds.Sum(r => f(r.Cpu) * r.Seconds) / seconds;
            var cpu = new CpuUse(Weighted(c => c.Self), Weighted(c => c.Azurite), Weighted(c => c.Other), rounds.Sum(r => r.Cpu.JitMethods), rounds.Sum(r => r.Cpu.JitMs));
            return new(rounds.Sum(r => r.Trades), seconds, rounds.Sum(r => r.RoundTrips), cpu, [.. rounds.SelectMany(r => r.CallMs)]);
        }
    }

    /// <summary>C workers upserting small entities for at least <paramref name="minSeconds"/> (and 500 writes per second of it).</summary>
    private Task<MixResult> UpsertsAsync(TableClient table, string round, double minSeconds) =>
        TimedRoundAsync(minSeconds, (int)(500 * minSeconds), async (w, k) =>
        {
            await table.UpsertEntityAsync(new TableEntity($"p{w % Math.Max(1, o.Users)}", $"{round}{w}-{k}") { ["Status"] = "accepted", ["Qty"] = "1", ["At"] = DateTimeOffset.UtcNow },
                TableUpdateMode.Replace);
            return (0, 1);
        });

    /// <summary>The storage calls of one inline execution per trade, replayed without the app.</summary>
    private Task<MixResult> ReplayAsync(TableClient table, double minSeconds)
    {
        var order = new AlpacaConnect.Core.Trading.TradeOrder { Symbol = Symbol, Side = "buy", Type = "market", TimeInForce = "day", Qty = "1" };
        var bodyHash = new string('a', 64);
        return TimedRoundAsync(minSeconds, (int)(100 * minSeconds), async (w, _) =>
        {
            // The same rows and message the app writes (its own types), so Azurite does the same work.
            var rowKey = AlpacaConnect.Core.Trading.TradeIds.RowKeyFor(Guid.NewGuid().ToString());
            var trade = AlpacaConnect.Core.Trading.TradeEntity.Accepted($"replay-u{w % Math.Max(1, o.Users)}", rowKey, "paper", order, DateTimeOffset.UtcNow, bodyHash);
            trade.ETag = (await table.AddEntityAsync(trade)).Headers.ETag!.Value;
            trade.AlpacaOrderId = Guid.NewGuid().ToString();
            trade.AlpacaStatus = "filled";
            trade.FilledQty = "1";
            trade.FilledAvgPrice = "500.12";
            trade.FilledAt = DateTimeOffset.UtcNow;
            trade.Record(AlpacaConnect.Core.Trading.TradeStatus.Filled, DateTimeOffset.UtcNow, "filled 1 @ 500.12");
            await table.UpdateEntityAsync(trade, trade.ETag, TableUpdateMode.Replace);
            return (1, 2);
        });
    }

    /// <summary>C workers repeating a step (it answers trades and round trips done) until both minimums are met (at most 3x the time).</summary>
    private async Task<MixResult> TimedRoundAsync(double minSeconds, int minSteps, Func<int, int, Task<(int Trades, int RoundTrips)>> step)
    {
        long trades = 0, roundTrips = 0, steps = 0;
        var calls = new ConcurrentBag<double>();
        var cpu0 = CpuClock.Mark();
        var t0 = Stopwatch.GetTimestamp();
        var minTicks = (long)(minSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, o.Concurrency).Select(w => Task.Run(async () =>
        {
            var local = new List<double>();
            for (var k = 0; ; k++)
            {
                var elapsed = Stopwatch.GetTimestamp() - t0;
                if ((elapsed >= minTicks && Interlocked.Read(ref steps) >= minSteps) || elapsed >= 3 * minTicks)
                    break;
                var began = Stopwatch.GetTimestamp();
                var (t, rt) = await step(w, k);
                local.Add(Clock.Ms(began, Stopwatch.GetTimestamp()) / rt);
                Interlocked.Add(ref trades, t);
                Interlocked.Add(ref roundTrips, rt);
                Interlocked.Increment(ref steps);
            }
            foreach (var l in local)
                calls.Add(l);
        })));
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return new MixResult((int)trades, seconds, roundTrips, CpuMark.CoresBetween(cpu0, CpuClock.Mark()), [.. calls]);
    }

    // ---------------------------------------------------------------- memory and logs

    private void MemoryFigures()
    {
        var rss = Memory.PeakRssBytes();
        var info = GC.GetGCMemoryInfo();
        Report.Add("Memory", "peak RSS (VmHWM, whole process: client + Server + Sandbox)", Mb(rss));
        Report.Add("Memory", "GC heap: now / peak sampled", F($"{Mb(info.HeapSizeBytes)} / {Mb(Math.Max(_peakHeap, info.HeapSizeBytes))}"));
        Report.Add("Memory", "allocated in total / GCs gen0-1-2 / pause", F($"{Mb(GC.GetTotalAllocatedBytes())} / {GC.CollectionCount(0)}-{GC.CollectionCount(1)}-{GC.CollectionCount(2)} / {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms"));
        Report.Data["memory"] = new
        {
            peak_rss_bytes = rss,
            gc_heap_bytes = info.HeapSizeBytes,
            gc_heap_peak_sampled_bytes = Math.Max(_peakHeap, info.HeapSizeBytes),
            allocated_bytes = GC.GetTotalAllocatedBytes(),
            collections = new { gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2) },
            gc_pause_ms = Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds, 1),
            gc = GCSettings.IsServerGC ? "server" : "workstation",
        };
    }

    /// <summary>The Server as built (its csproj's GC settings), and the alternatives it was chosen against.</summary>
    private static readonly (string Name, Dictionary<string, string> Runtime)[] ServerGcModes =
    [
        ("as built (workstation GC)", []),
        ("server GC without DATAS", new() { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0" }),
        ("server GC with DATAS", new() { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "1" }),
    ];

    /// <summary>
    /// Issue #15 item 7: the Server's own resident memory, apart from this process's client and
    /// Sandbox. The same Server with the same settings and storage (the users are connected) runs as
    /// a process of its own and takes phase A's and phase B's load again; its RSS is read from /proc.
    /// Once as built and once in each other GC mode, with the ack latency and accept rate of each, so
    /// the GC's budget tells apart from what the app holds and the choice shows its cost.
    /// </summary>
    private async Task ServerMemoryAsync(string gc, Dictionary<string, string> runtime)
    {
        Step($"memory: the Server as a process of its own ({gc}) under phase A's and phase B's load");
        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var process = await ServerProcess.StartAsync(url, _s.ServerConfig, runtime);
        // Disposed first (reverse order), so it stops sampling before the process goes.
        await using var server = new ProcessMemory(process.ProcessId);
        using var api = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        api.DefaultRequestHeaders.Add("x-functions-key", BenchSystem.FunctionKey);
        var started = server.RssBytes;
        var tag = "m" + Hashing.Sha256Hex(gc)[..4];
        // As on the measured Server: one small trade per user first (compiled endpoints, a warm token cache).
        var primed = await ClosedLoopAsync(_users.Select(u => TradeBody(u, limit: false, qty: "0.001")).ToArray(), tag + "p", Math.Min(16, o.Concurrency), api);
        var idle = server.RssBytes;
        var ack = (await OpenLoopAsync(Enumerable.Range(0, o.AckTrades).Select(i => TradeBody(_users[i % _users.Length], limit: false)).ToArray(), tag + "a", api)).Results;
        var bodies = Enumerable.Range(0, o.Trades).Select(i => TradeBody(_users[i % _users.Length], limit: i / _users.Length % 2 == 1)).ToArray();
        var t0 = Stopwatch.GetTimestamp();
        var closed = await ClosedLoopAsync(bodies, tag + "b", o.Concurrency, api);
        var acceptRate = closed.Length / Stopwatch.GetElapsedTime(t0).TotalSeconds;
        // The executions that follow the last answers.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (peak, after) = (server.PeakRssBytes, server.RssBytes);
        var accepted = new[] { primed, ack, closed }.Sum(r => r.Count(x => x.Status == 202));
        var sent = primed.Length + ack.Length + closed.Length;
        var ackMs = Latency.Of(ack.Where(r => r.Status == 202).Select(r => r.Ms));
        var asBuilt = runtime.Count == 0;

        Report.Add("Memory", F($"Server's own process, {gc}: RSS at start / primed / after the load"), F($"{Mb(started)} / {Mb(idle)} / {Mb(after)}"));
        Report.Add("Memory", F($"Server's own process, {gc}: peak RSS under phase A + B load ({accepted} of {sent} accepted)"), Mb(peak),
            asBuilt ? "< 250 MiB" : "", asBuilt ? peak < 250L * 1024 * 1024 : null);
        Report.Add("Memory", F($"Server's own process, {gc}: ack p50 / p99 at {o.Rate:0.#}/s; accept rate at C={o.Concurrency}"),
            F($"{ackMs.P50:0.00} / {ackMs.P99:0.00} ms; {acceptRate:0.0}/s"));
        Report.Data["server_memory_" + gc.Replace(' ', '_')] = new { gc, runtime, rss_start_bytes = started, rss_primed_bytes = idle, rss_after_bytes = after, peak_rss_bytes = peak, trades_sent = sent, trades_accepted = accepted, ack_ms = ackMs, accept_rate_per_s = Math.Round(acceptRate, 1) };
    }

    private void ServerLogFigures()
    {
        var p = _s.Progress;
        Report.Add("Server log", "warnings / errors logged by the Server", F($"{p.Warnings} / {p.Errors}"), "0 / 0", p.Warnings == 0 && p.Errors == 0);
        foreach (var line in p.FirstProblems.Take(5))
            Report.Notes.Add("Server log: " + line);
        Report.Data["server_log"] = new { warnings = p.Warnings, errors = p.Errors, first = p.FirstProblems };
    }

    private async Task SampleHeapAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                _peakHeap = Math.Max(_peakHeap, GC.GetTotalMemory(false));
                await Task.Delay(100, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] TradeBody(string userId, bool limit, string qty = "1") => Encoding.UTF8.GetBytes(limit
        ? $$$"""{"user_id":"{{{userId}}}","env":"paper","order":{"symbol":"{{{Symbol}}}","side":"buy","type":"limit","time_in_force":"gtc","qty":"{{{qty}}}","limit_price":"{{{FarLimitPrice}}}"}}"""
        : $$$"""{"user_id":"{{{userId}}}","env":"paper","order":{"symbol":"{{{Symbol}}}","side":"buy","type":"market","time_in_force":"day","qty":"{{{qty}}}"}}""");

    private string Key(string phase, int i) => $"bench-{_run}-{phase}-{i}";

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<PostResult> PostTradeAsync(byte[] body, string key, HttpClient? api = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades") { Content = Json(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await SendAsync(api ?? _s.Api, request, expect: HttpStatusCode.Accepted);
    }

    /// <summary>Times SendAsync (which reads the whole answer); on the expected status, takes "id" from the body.</summary>
    private static async Task<PostResult> SendAsync(HttpClient http, HttpRequestMessage request, HttpStatusCode expect)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request);
            var end = Stopwatch.GetTimestamp();
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != expect)
                return new PostResult(start, end, (int)response.StatusCode, null, Truncate(text));
            using var doc = JsonDocument.Parse(text);
            return new PostResult(start, end, (int)response.StatusCode, doc.RootElement.GetProperty("id").GetString(), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new PostResult(start, Stopwatch.GetTimestamp(), 0, null, ex.Message);
        }
    }

    private async Task<PostResult[]> ClosedLoopAsync(byte[][] bodies, string phase, int concurrency, HttpClient? api = null)
    {
        var results = new PostResult[bodies.Length];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
                results[i] = await PostTradeAsync(bodies[i], Key(phase, i), api);
        })));
        return results;
    }

    private List<string> Accepted(PostResult[] results, string phase)
    {
        var ids = results.Where(r => r.Status == 202).Select(r => r.Id!).ToList();
        _accepted += ids.Count;
        if (ids.Count == 0)
            throw new InvalidOperationException($"{phase}: no trade was accepted. First answer: {results.FirstOrDefault(r => r.Error is not null)?.Error}");
        return ids;
    }

    private static List<ErrorSample> ErrorSamples(PostResult[] results) =>
        [.. results.Where(r => r.Error is not null).GroupBy(r => $"{r.Status} {r.Error}").Take(5).Select(g => new ErrorSample(g.Key, g.Count()))];

    private static double PerTrade(long roundTrips, int trades) => (double)roundTrips / trades;

    private static SortedDictionary<string, Latency> StorageLatency(long from, long to) =>
        new(StorageRequestLog.DurationsBetween(from, to).ToDictionary(k => k.Key, k => Latency.Of(k.Value)), StringComparer.Ordinal);

    private static TimeSpan Timeout(int trades) => TimeSpan.FromSeconds(Math.Max(60, trades / 10.0));

    /// <summary>Waits (in memory, no I/O) until the executor has logged every trade, then until their queue messages are deleted.</summary>
    private async Task<Completion> WaitDoneAsync(List<string> ids, (long Deletes, long Sends) atStart, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var pending = new List<string>(ids);
        var doneAt = new List<long>(ids.Count);
        long last = 0;
        var failed = 0;
        while (true)
        {
            pending.RemoveAll(id =>
            {
                if (!_s.Progress.TryGet(id, out var done))
                    return false;
                last = Math.Max(last, done.At);
                doneAt.Add(done.At);
                if (!done.Submitted)
                    failed++;
                return true;
            });
            if (pending.Count == 0)
                break;
            if (Stopwatch.GetTimestamp() > deadline)
                return new Completion(false, last, failed, pending.Count, doneAt);
            await Task.Delay(5);
        }
        var deleteDeadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        // Trades accepted together share a message: wait until every message sent since the start is deleted.
        while (_meter.QueueDeletes - atStart.Deletes < _meter.QueueSends - atStart.Sends && Stopwatch.GetTimestamp() < deleteDeadline)
            await Task.Delay(2);
        return new Completion(true, last, failed, 0, doneAt);
    }

    private async Task<List<TradeView>> ReadTradesAsync(List<string> ids)
    {
        var views = new ConcurrentBag<TradeView>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) =>
        {
            using var response = await _s.Api.GetAsync("/api/trades/" + Uri.EscapeDataString(id), ct);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var root = doc.RootElement;
            var history = root.GetProperty("history").EnumerateArray()
                .Select(e => (Status: e.GetProperty("status").GetString()!, At: e.GetProperty("at").GetDateTimeOffset())).ToList();
            var accepted = history.FirstOrDefault(h => h.Status == "accepted");
            var next = history.SkipWhile(h => h.Status == "accepted").FirstOrDefault();
            double? ms = accepted.Status is not null && next.Status is "submitted" or "filled" or "partially_filled"
                ? (next.At - accepted.At).TotalMilliseconds : null;
            views.Add(new TradeView(root.GetProperty("status").GetString()!, root.TryGetProperty("alpaca_order_id", out var oid) && oid.ValueKind == JsonValueKind.String, ms));
        });
        return [.. views];
    }

    private void Step(string what) =>
        Console.WriteLine(F($"[{Stopwatch.GetElapsedTime(_started).TotalSeconds,6:0.0}s] {what}"));

    private static string Ms(double v) => F($"{v:0.00} ms");

    private static string Mb(long bytes) => F($"{bytes / 1024.0 / 1024.0:0.0} MiB");

    /// <summary>Notes a phase during which other processes used a noticeable share of the cores.</summary>
    private CpuUse Watch(string phase, CpuUse cpu)
    {
        if (cpu.Other >= 0.25)
            Report.Notes.Add(F($"CONTAMINATED: other processes used {cpu.Other:0.00} of {Environment.ProcessorCount} cores during {phase}; its figures understate this code. Rerun on a quiet machine."));
        return cpu;
    }

    private static string Cpu(CpuUse cpu) =>
        F($"{cpu.Self:0.00} / {(CpuClock.AzuriteFound ? F($"{cpu.Azurite:0.00}") : "n/a")} / {cpu.Other:0.00} (of {Environment.ProcessorCount}); JIT {cpu.JitMethods} methods, {cpu.JitMs:0} ms");

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed record PostResult(long Start, long End, int Status, string? Id, string? Error)
    {
        public double Ms => Clock.Ms(Start, End);
    }

    private sealed record ErrorSample(string Answer, int Count);

    private sealed record Completion(bool All, long LastAt, int Failed, int Pending, List<long> DoneAt);

    private sealed record TradeView(string Status, bool HasAlpacaOrder, double? SubmittedMs);

    private sealed record IdleRates(IReadOnlyDictionary<string, double> PerSecond)
    {
        public double Expected(double seconds) => PerSecond.Values.Sum() * seconds;
    }
}
