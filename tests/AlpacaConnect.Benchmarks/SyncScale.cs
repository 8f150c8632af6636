using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// <c>--scenario sync-scale</c>: what the status sync and the outbox sweep cost with --users open
/// trades (one per user, placed through the API, working at the Sandbox) and 100 pending events,
/// first with no closed work, then with --closed closed trades and as many dispatched events seeded
/// into the same users' partitions (entity-group batches). Each figure is the median of 5 runs:
/// storage round trips (the app's own metric) and wall time. Target: with closed work <= 1.1x without.
/// The old non-key filters (IsOpen eq true, Dispatched eq false) are timed beside them for contrast.
/// </summary>
internal sealed class SyncScale(BenchOptions o)
{
    private const int Runs = 5;
    private const int PendingEvents = 100;
    private readonly RoundTripMeter _meter = new();
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private BenchSystem _s = null!;

    public Report Report { get; } = new();

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public async Task<Exception?> RunAsync()
    {
        Exception? broke = null;
        try
        {
            _s = await BenchSystem.StartAsync(o);
            var users = Enumerable.Range(0, o.Users).Select(i => $"scale-{_run}-u{i:0000}").ToArray();
            Console.WriteLine($"connecting {users.Length} users, placing one working limit order each ...");
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) => await _s.ConnectAsync(user));
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) => await PlaceWorkingAsync(user));
            await SeedPendingEventsAsync(users);

            var empty = await MeasureAsync("0 closed");
            Console.WriteLine($"seeding {o.Closed:N0} closed trades and {o.Closed:N0} dispatched events ...");
            var seeding = Stopwatch.StartNew();
            await SeedClosedAsync(users);
            Report.Add("Setup", "seeded (entity-group batches of 100)", F($"{o.Closed:N0} closed trades + {o.Closed:N0} dispatched events in {seeding.Elapsed.TotalSeconds:0.0} s"));
            var full = await MeasureAsync(F($"{o.Closed:N0} closed"));

            Compare("Status sync", empty.Sync, full.Sync);
            Compare("Outbox sweep", empty.Sweep, full.Sweep);
            Report.Add("Before (non-key filter)", "IsOpen eq true over trades: round trips / time",
                F($"{empty.OldSync.RoundTrips} / {empty.OldSync.Ms:0} ms -> {full.OldSync.RoundTrips} / {full.OldSync.Ms:0} ms"), "reported");
            Report.Add("Before (non-key filter)", "Dispatched eq false over trades: round trips / time",
                F($"{empty.OldSweep.RoundTrips} / {empty.OldSweep.Ms:0} ms -> {full.OldSweep.RoundTrips} / {full.OldSweep.Ms:0} ms"), "reported");
            Report.Data["sync_scale"] = new { users = o.Users, closed = o.Closed, pending_events = PendingEvents, empty, full };
        }
        catch (Exception ex)
        {
            broke = ex;
        }
        finally
        {
            if (_s is not null)
            {
                var prefix = _s.Prefix;
                await _s.DisposeAsync();
                var (tables, queues) = await Azurite.DeletePrefixedAsync(prefix);
                Report.Notes.Add($"Cleaned up Azurite: deleted {tables} tables and {queues} queues with prefix '{prefix}'.");
            }
            _meter.Dispose();
        }
        return broke;
    }

    private void Compare(string section, Cost empty, Cost full)
    {
        var rt = (double)full.RoundTrips / empty.RoundTrips;
        var ms = full.Ms / empty.Ms;
        Report.Add(section, "round trips, 0 closed -> closed (median of 5)", F($"{empty.RoundTrips} -> {full.RoundTrips} = {rt:0.00}x"), "<= 1.1x", rt <= 1.1);
        Report.Add(section, "time, 0 closed -> closed (median of 5)", F($"{empty.Ms:0} -> {full.Ms:0} ms = {ms:0.00}x (runs {string.Join(", ", empty.AllMs.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))} -> {string.Join(", ", full.AllMs.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))})"), "<= 1.1x", ms <= 1.1);
    }

    private async Task PlaceWorkingAsync(string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades")
        {
            Content = JsonContent.Create(new { user_id = user, env = "paper", order = new { symbol = "SPY", side = "buy", type = "limit", limit_price = "100", qty = "1", time_in_force = "gtc" } }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await _s.Api.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = doc.RootElement.GetProperty("id").GetString()!;
        for (var i = 0; i < 100; i++)
        {
            using var trade = JsonDocument.Parse(await _s.Api.GetStringAsync("/api/trades/" + id));
            if (trade.RootElement.GetProperty("status").GetString() == "submitted")
                return;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"Trade {id} did not reach submitted.");
    }

    /// <summary>100 events committed but not dispatched, as the outbox writes them (index entry, then row), recent enough that the sweep leaves them to their writer: each run finds the same work.</summary>
    private async Task SeedPendingEventsAsync(string[] users)
    {
        var trades = Tables.Get(Tables.Trades);
        var index = _s.Services.GetRequiredService<WorkIndex>();
        for (var i = 0; i < PendingEvents; i++)
        {
            var user = users[i % users.Length];
            var id = "evt_" + Guid.CreateVersion7().ToString("N");
            await index.AddAsync(EventOutbox.PendingKind(Tables.Trades), user, id, default);
            await trades.AddEntityAsync(EventRow(user, id, dispatched: false, DateTimeOffset.UtcNow.AddDays(1)));
        }
    }

    /// <summary>Closed trades with a dispatched event each, in the users' own partitions, 50 + 50 per entity-group batch.</summary>
    private async Task SeedClosedAsync(string[] users)
    {
        var trades = Tables.Get(Tables.Trades);
        var perUser = o.Closed / users.Length;
        var batches = users.SelectMany(user => Enumerable.Range(0, (perUser + 49) / 50).Select(b => (user, b))).ToList();
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
        {
            var actions = new List<TableTransactionAction>(100);
            for (var i = batch.b * 50; i < Math.Min(perUser, (batch.b + 1) * 50); i++)
            {
                var trade = TradeEntity.Accepted(batch.user, Guid.NewGuid().ToString("N"), "paper",
                    new TradeOrder { Symbol = "SPY", Side = "buy", Type = "market", Qty = "1", TimeInForce = "day" }, at, bodyHash: null);
                trade.Record(TradeStatus.Filled, at);
                actions.Add(new(TableTransactionActionType.Add, trade));
                actions.Add(new(TableTransactionActionType.Add, EventRow(batch.user, "evt_" + Guid.CreateVersion7(at).ToString("N"), dispatched: true, at)));
            }
            await trades.SubmitTransactionAsync(actions, ct);
        });
    }

    private static TableEntity EventRow(string user, string id, bool dispatched, DateTimeOffset at) => new(user, EventOutbox.RowPrefix + id)
    {
        ["EventType"] = "order.filled",
        ["EventVersion"] = 1,
        ["EventTimestamp"] = at,
        ["DataJson"] = "{}",
        ["Dispatched"] = dispatched,
    };

    private Tables Tables => _s.Services.GetRequiredService<Tables>();

    private async Task<Costs> MeasureAsync(string label)
    {
        Console.WriteLine($"measuring with {label} ...");
        var sync = _s.StatusSync;
        var sweep = _s.Services.GetRequiredService<OutboxSweep>();
        await sync.RunAsync(default); // token cache, JIT
        await sweep.RunAsync(default);
        var syncCost = await MedianAsync(async () =>
        {
            var report = await sync.RunAsync(default);
            if (report.OpenTrades != o.Users)
                throw new InvalidOperationException($"The sync found {report.OpenTrades} open trades, not {o.Users}.");
        });
        var sweepCost = await MedianAsync(async () =>
        {
            if (await sweep.RunAsync(default) != 0)
                throw new InvalidOperationException("The sweep dispatched events it should have left to their writers.");
        });
        var trades = Tables.Get(Tables.Trades);
        var oldSync = await MedianAsync(async () => await CountAsync(trades.QueryAsync<TableEntity>("IsOpen eq true", select: ["RowKey"])));
        var oldSweep = await MedianAsync(async () => await CountAsync(trades.QueryAsync<TableEntity>("Dispatched eq false", select: ["RowKey"])));
        return new Costs(syncCost, sweepCost, oldSync, oldSweep);
    }

    private static async Task<int> CountAsync(Azure.AsyncPageable<TableEntity> rows)
    {
        var n = 0;
        await foreach (var _ in rows)
            n++;
        return n;
    }

    private async Task<Cost> MedianAsync(Func<Task> run)
    {
        var samples = new List<(long RoundTrips, double Ms)>();
        for (var i = 0; i < Runs; i++)
        {
            var before = _meter.Snapshot();
            var started = Stopwatch.GetTimestamp();
            await run();
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            samples.Add(((_meter.Snapshot() - before).Total, ms));
        }
        var byMs = samples.Select(s => s.Ms).Order().ToList();
        var byRt = samples.Select(s => s.RoundTrips).Order().ToList();
        return new Cost(byRt[Runs / 2], Math.Round(byMs[Runs / 2], 1), samples.Select(s => Math.Round(s.Ms, 1)).ToList());
    }

    internal sealed record Cost(long RoundTrips, double Ms, List<double> AllMs);

    internal sealed record Costs(Cost Sync, Cost Sweep, Cost OldSync, Cost OldSweep);
}
