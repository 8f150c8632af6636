using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Schedules;
using AlpacaConnect.Core.Storage;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// <c>--scenario schedules</c>: 10,000 schedules over the users, 1,000 of them due in the same minute,
/// seeded straight into storage with entity-group batches (the schedules per user partition, the due
/// index per minute bucket). Measures the schedules' timer run (<see cref="ScheduleRunner"/>, as the
/// Server's runner calls it): from its start to the last of the 1,000 orders recorded at the Sandbox,
/// storage round trips per due occurrence beyond the trade's own, and the round trips of a run with
/// nothing due, with no schedules and with all 10,000 (constant, not proportional).
/// </summary>
internal sealed class ScheduleBenchmark(BenchOptions options)
{
    public const int Schedules = 10_000;
    public const int Due = 1_000;

    public Report Report { get; } = new();

    public async Task<Exception?> RunAsync()
    {
        try
        {
            await using var system = await BenchSystem.StartAsync(options);
            var users = Enumerable.Range(0, options.Users).Select(i => $"sched{i:D3}").ToList();
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (u, _) => await system.ConnectAsync(u));
            var runner = system.Services.GetRequiredService<ScheduleRunner>();
            var tables = system.Services.GetRequiredService<Tables>();

            var empty = await MeasureIdleAsync(runner);
            var dueAt = NextMinute(DateTimeOffset.UtcNow.AddSeconds(20));
            var due = await SeedAsync(tables, users, dueAt);
            var idle = await MeasureIdleAsync(runner);
            Console.WriteLine($"Seeded {Schedules} schedules ({Due} due at {dueAt:HH:mm:ss}Z); nothing-due run: {empty.Total} round trip(s) with none, {idle.Total} with {Schedules}.");

            var wait = dueAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait);
            var before = StorageRequestLog.Requests();
            var start = Stopwatch.GetTimestamp();
            var report = await runner.RunAsync(default);
            var runEnd = Stopwatch.GetTimestamp();

            // The trades run inline on the Server; wait until each is recorded at the Sandbox (or 120 s).
            var tradeIds = due.Select(d => ScheduleIds.TradeId(d.User, d.Id, dueAt)).ToList();
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
            long last = 0;
            int done;
            do
            {
                done = 0;
                foreach (var id in tradeIds)
                    if (system.Progress.TryGet(id, out var d))
                    {
                        done++;
                        last = Math.Max(last, d.At);
                    }
                if (done < tradeIds.Count)
                    await Task.Delay(50);
            } while (done < tradeIds.Count && Stopwatch.GetTimestamp() < deadline);
            // Queue deletes of the inline runs land just after the record; give them a moment.
            await Task.Delay(500);
            var rt = StorageRequestLog.Requests() - before;
            var orders = (await system.SandboxOrderCountsAsync()).Values.Sum();

            var tradeOwn = rt.ByKey.Where(k => k.Key.Contains(" trades ", StringComparison.Ordinal) || k.Key.Contains(" " + Queues.TradeExecutions + " ", StringComparison.Ordinal)).Sum(k => k.Value);
            var scheduleOwn = rt.Total - tradeOwn;
            var perDue = (double)scheduleOwn / Due;
            const string S = "Schedules";
            Report.Add(S, "Schedules / due in one minute", F($"{Schedules:N0} / {Due:N0}"));
            Report.Add(S, "Timer start -> last of the 1,000 orders recorded at the Sandbox", done == Due ? F($"{Clock.Seconds(start, last):0.00} s") : $"only {done} recorded",
                pass: done == Due ? null : false);
            Report.Add(S, "Timer run itself (read, place = accept, advance)", F($"{Clock.Seconds(start, runEnd):0.00} s"));
            Report.Add(S, "Run report", F($"placed {report.Placed}, skipped {report.Skipped}, waiting {report.Waiting}, lost races {report.LostRaces}"));
            Report.Add(S, "Storage round trips per due occurrence beyond the trade's own", F($"{perDue:0.00}"), "<= 3", perDue <= 3);
            Report.Add(S, "Trade's own round trips per occurrence (trades table + trade-executions queue)", F($"{(double)tradeOwn / Due:0.00}"));
            Report.Add(S, "Round trips of a run with nothing due: no schedules / 10,000 schedules", F($"{empty.Total} / {idle.Total}"), "constant", empty.Total == idle.Total);
            Report.Add(S, "Exactly once: orders at the Sandbox / due occurrences", F($"{orders} / {Due}"), "equal", orders == Due);
            Report.Data["schedules"] = new
            {
                schedules = Schedules,
                due = Due,
                timer_to_last_order_s = done == Due ? Clock.Seconds(start, last) : (double?)null,
                run_s = Clock.Seconds(start, runEnd),
                round_trips_per_due_beyond_trade = perDue,
                trade_round_trips_per_due = (double)tradeOwn / Due,
                idle_round_trips_no_schedules = empty.Total,
                idle_round_trips_all_schedules = idle.Total,
                round_trips = rt.ByKey,
                orders,
            };
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async Task<RoundTrips> MeasureIdleAsync(ScheduleRunner runner)
    {
        var before = StorageRequestLog.Requests();
        var report = await runner.RunAsync(default);
        if (report.DueRows != 0)
            throw new InvalidOperationException($"Expected nothing due, found {report.DueRows}.");
        return StorageRequestLog.Requests() - before;
    }

    private static DateTimeOffset NextMinute(DateTimeOffset at) => new DateTimeOffset(at.Ticks - at.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(1);

    /// <summary>
    /// The schedules (one batch of up to 100 per user), then their index rows (batches per minute
    /// bucket): every 10th round over the users due at <paramref name="dueAt"/> (cron every minute), the rest daily at
    /// 03:mm UTC (spread over 60 buckets).
    /// </summary>
    private static async Task<List<(string User, string Id)>> SeedAsync(Tables tables, IReadOnlyList<string> users, DateTimeOffset dueAt)
    {
        var now = DateTimeOffset.UtcNow;
        var order = JsonSerializer.Serialize(new { symbol = "VTI", side = "buy", type = "market", notional = "50", time_in_force = "day" }, JsonBody.Options);
        var all = new List<ScheduleEntity>(Schedules);
        for (var i = 0; i < Schedules; i++)
        {
            var isDue = i / users.Count % (Schedules / Due) == 0;
            var cron = isDue ? "* * * * *" : string.Create(CultureInfo.InvariantCulture, $"{i % 60} 3 * * *");
            var s = new ScheduleEntity
            {
                PartitionKey = users[i % users.Count],
                RowKey = ScheduleIds.NewRowKey(),
                Env = "paper",
                Cron = cron,
                TimeZone = "UTC",
                OrderJson = order,
                CreatedAt = now,
                UpdatedAt = now,
            };
            if (isDue)
                s.NextOccurrenceAt = s.NextRunAt = dueAt;
            else
                s.ScheduleNext(now);
            all.Add(s);
        }
        var schedules = tables.Get(Tables.Schedules);
        var index = tables.Get(Tables.ScheduleDue);
        await Parallel.ForEachAsync(all.GroupBy(s => s.PartitionKey).SelectMany(g => g.Chunk(100)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await schedules.SubmitTransactionAsync(batch.Select(s => new TableTransactionAction(TableTransactionActionType.Add, s)), ct));
        var rows = all.Select(s => new DueRow { PartitionKey = ScheduleStore.Bucket(s.NextRunAt!.Value), RowKey = s.Id, DueAt = s.NextRunAt.Value });
        await Parallel.ForEachAsync(rows.GroupBy(r => r.PartitionKey).SelectMany(g => g.Chunk(100)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await index.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)), ct));
        return all.Where(s => s.NextRunAt == dueAt).Select(s => (s.PartitionKey, s.Id)).ToList();
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
