using System.Collections.Concurrent;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>What one sync run did, for logs, tests and the benchmark's round-trip count.</summary>
public sealed record SyncReport(int OpenTrades, int Updated, int Requeued, int Settled, int AlpacaCalls, int Orphans = 0, int Audited = 0, int Backfilled = 0);

/// <summary>
/// The timer's work: follow every open trade to its terminal status. One order list per user and
/// env (not one call per order), a storage write only when something changed, and the safety net
/// for trades whose queue message was lost or gave up: re-queue them, or after the submit deadline
/// settle them by looking the order up. Open trades are found by key: the open-trade entries of the
/// work index (<see cref="TradeStore.QueryOpenIndexAsync"/>), each trade then read by its key, so a
/// run costs what is open (and what closed since the last run), however many trades ever closed. Orders in those lists that carry
/// this app's client_order_id prefix but have no trade row are reported as orphans, and a few
/// connections per run are audited for them whether or not they have open trades
/// (<see cref="OrphanOrders"/>). Before its first run reads the index, a process makes sure the
/// one-time backfill of trades written before the index existed is done (<see cref="OpenTradeBackfill"/>).
/// </summary>
public sealed partial class TradeStatusSync(
    TradeStore store,
    TradeQueue queue,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
    OrphanOrders orphanOrders,
    OpenTradeBackfill backfill,
    IOptions<TradingOptions> options,
    TimeProvider time,
    ILogger<TradeStatusSync> logger)
{
    private readonly TradingOptions _options = options.Value;

    public async Task<SyncReport> RunAsync(CancellationToken ct)
    {
        using var activity = AlpacaConnectTelemetry.Source.StartActivity("trade.status_sync");
        var backfilled = (await backfill.RunAsync(ct)).Indexed;
        var reported = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var entries = new List<WorkEntry>();
        await foreach (var entry in store.QueryOpenIndexAsync(ct))
            entries.Add(entry);

        int open = 0, updated = 0, requeued = 0, settled = 0, calls = 0, orphans = 0;
        // Users are independent (their own tokens and rate limits): several at once, each in order.
        await Parallel.ForEachAsync(entries.GroupBy(e => e.Partition), new ParallelOptions { MaxDegreeOfParallelism = _options.StatusSyncConcurrency, CancellationToken = ct },
            async (user, cancel) =>
            {
                var trades = await OpenTradesAsync([.. user], cancel);
                foreach (var group in trades.GroupBy(t => t.AlpacaEnv))
                {
                    var done = await SyncUserAsync(user.Key, group.Key, [.. group], reported, cancel);
                    Interlocked.Add(ref open, done.OpenTrades);
                    Interlocked.Add(ref updated, done.Updated);
                    Interlocked.Add(ref requeued, done.Requeued);
                    Interlocked.Add(ref settled, done.Settled);
                    Interlocked.Add(ref calls, done.AlpacaCalls);
                    Interlocked.Add(ref orphans, done.Orphans);
                }
            });

        // After the open users, so an orphan they listed is reported once, by them.
        var audit = await orphanOrders.AuditAsync(reported, ct);
        var report = new SyncReport(open, updated, requeued, settled, calls + audit.AlpacaCalls, orphans + audit.Orphans, audit.Connections, backfilled);
        LogRun(report.OpenTrades, report.Updated, report.Requeued, report.Settled, report.AlpacaCalls, report.Orphans, report.Audited);
        return report;
    }

    /// <summary>One user's open trades on one env: one order list, then a write for each that changed.</summary>
    private async Task<SyncReport> SyncUserAsync(string userId, AlpacaEnv env, List<TradeEntity> trades, ConcurrentDictionary<string, byte> reported, CancellationToken ct)
    {
        int updated = 0, requeued = 0, settled = 0, calls = 0, orphans = 0;
        var connection = await tokens.GetAsync(userId, env, ct);
        var submitted = trades.Where(t => t.AlpacaOrderId is not null).ToList();
        var unsent = trades.Where(t => t.AlpacaOrderId is null).ToList();

        if (connection is null)
        {
            // Revoked or disconnected: nothing can be followed any more; say so on each trade. An order
            // Alpaca holds keeps the status Alpaca last gave it (failing it would contradict Alpaca: the
            // order may still fill) and is followed again if the user reconnects; a trade that never
            // reached Alpaca cannot any more.
            foreach (var trade in submitted)
                updated += await SaveAsync(trade, t => t.Record(t.Status, time.GetUtcNow(),
                    $"The connection ended (revoked or disconnected); the order's last known status at Alpaca is {t.AlpacaStatus}. It is followed again if the user reconnects."), ct);
            foreach (var trade in unsent)
                updated += await SaveAsync(trade, t => t.Record(TradeStatus.Failed, time.GetUtcNow(),
                    "The connection ended (revoked or disconnected) before an order was recorded at Alpaca; it can no longer be sent or looked up."), ct);
            return new(trades.Count, updated, 0, 0, 0);
        }
        var token = connection.Value.Token;

        if (submitted.Count > 0)
        {
            var (orders, listed, listCalls) = await ListOrdersAsync(env, token, submitted, ct);
            calls += listCalls;
            foreach (var trade in submitted)
            {
                if (orders.TryGetValue(trade.AlpacaOrderId!, out var order))
                    updated += await SaveAsync(trade, t => t.Apply(order, time.GetUtcNow()), ct);
            }
            orphans += await orphanOrders.ReportAsync(userId, env, listed, trades.Select(t => t.ClientOrderId).ToHashSet(), reported, ct);
        }

        foreach (var trade in unsent)
        {
            var now = time.GetUtcNow();
            // Its message is on its way (an inline hold, a backoff, a rate-limit reset, a delivery):
            // leave it alone, or every run would start another chain of retries for the same trade.
            if (now - (trade.NextAttemptAt ?? trade.CreatedAt) < _options.StaleAcceptedAfter)
                continue;
            var age = now - trade.CreatedAt;
            if (age <= _options.SubmitDeadline)
            {
                // No message is due any more: it was lost (crash between record and enqueue). Start
                // the next generation, noted on the row first and only if the row is as read, so a
                // concurrent writer (the executor, another run) wins and this run stands back.
                // Attempt 1 makes the executor look the order up before sending anything.
                trade.Generation++;
                trade.NextAttemptAt = now;
                if (!await store.TryUpdateAsync(trade, trade.ETag, ct))
                    continue;
                await queue.EnqueueAsync(TradeExecution.Retry(trade), delay: null, ct);
                requeued++;
                continue;
            }
            calls++;
            var lookup = await alpaca.GetOrderByClientOrderIdAsync(env, token, trade.ClientOrderId, ct);
            if (lookup.IsSuccess)
                settled += await SaveAsync(trade, t => t.Apply(lookup.Value!, time.GetUtcNow()), ct);
            else if (lookup.Error!.Kind == AlpacaErrorKind.NotFound)
                settled += await SaveAsync(trade, t => t.Record(TradeStatus.Failed, time.GetUtcNow(),
                    $"Not submitted within {_options.SubmitDeadline.TotalMinutes:0} minutes of acceptance; no order exists at Alpaca and a stale order is never sent."), ct);
        }
        return new(trades.Count, updated, requeued, settled, calls, orphans);
    }

    /// <summary>
    /// The user's indexed trades that are open, each read by its key. An entry whose trade closed
    /// leaves the index here; so does one whose trade was never written (its insert failed), once
    /// it is older than any insert can take.
    /// </summary>
    private async Task<List<TradeEntity>> OpenTradesAsync(List<WorkEntry> entries, CancellationToken ct)
    {
        var open = new List<TradeEntity>();
        // A trade may have two entries (its accept's and a reopening's, in different shards): one read.
        foreach (var same in entries.GroupBy(e => e.Row, StringComparer.Ordinal))
        {
            var trade = await store.GetAsync(same.First().Partition, same.Key, ct);
            if (trade is { IsOpen: true })
                open.Add(trade);
            else
            {
                foreach (var entry in same)
                {
                    if (trade is not null || time.GetUtcNow() - entry.WrittenAt > UnwrittenAfter)
                        await store.RemoveFromOpenIndexAsync(entry, ct);
                }
            }
        }
        return open;
    }

    /// <summary>Far longer than an accept's insert can take (the storage clients give up within minutes).</summary>
    private static readonly TimeSpan UnwrittenAfter = TimeSpan.FromMinutes(15);

    /// <summary>One user's orders since the oldest open trade, in pages of 500; a per-order read for any the list missed.</summary>
    private async Task<(Dictionary<string, AlpacaOrder> Orders, List<AlpacaOrder> Listed, int Calls)> ListOrdersAsync(AlpacaEnv env, AccessToken token, List<TradeEntity> trades, CancellationToken ct)
    {
        var wanted = trades.Select(t => t.AlpacaOrderId!).ToHashSet();
        var found = new Dictionary<string, AlpacaOrder>();
        var listed = new List<AlpacaOrder>();
        var after = trades.Min(t => t.CreatedAt) - TimeSpan.FromMinutes(1);
        var calls = 0;
        for (var page = 0; page < 10 && found.Count < wanted.Count; page++)
        {
            calls++;
            var list = await alpaca.ListOrdersAsync(env, token, new AlpacaOrderQuery { Status = "all", Limit = 500, After = after, Direction = "asc", Nested = true }, ct);
            if (!list.IsSuccess || list.Value!.Count == 0)
                break;
            listed.AddRange(list.Value);
            foreach (var order in list.Value)
                if (wanted.Contains(order.Id))
                    found[order.Id] = order;
            if (list.Value.Count < 500)
                break;
            after = list.Value[^1].CreatedAt ?? after;
        }
        foreach (var id in wanted.Where(id => !found.ContainsKey(id)))
        {
            calls++;
            var one = await alpaca.GetOrderAsync(env, token, id, ct);
            if (one.IsSuccess)
                found[id] = one.Value!;
        }
        return (found, listed, calls);
    }

    /// <summary>Applies a change and writes only if it changed something. 1 when written.</summary>
    private async Task<int> SaveAsync(TradeEntity trade, Action<TradeEntity> change, CancellationToken ct)
    {
        var before = (trade.Status, trade.FilledQty, trade.HistoryJson);
        change(trade);
        if ((trade.Status, trade.FilledQty, trade.HistoryJson) == before)
            return 0;
        // A concurrent writer (the executor) wins; the next run sees its result.
        return await store.TryUpdateAsync(trade, trade.ETag, ct) ? 1 : 0;
    }

    [LoggerMessage(LogLevel.Information, "Status sync: {OpenTrades} open, {Updated} updated, {Requeued} re-queued, {Settled} settled, {AlpacaCalls} Alpaca calls, {Orphans} orphan orders, {Audited} connections audited for orphans")]
    private partial void LogRun(int openTrades, int updated, int requeued, int settled, int alpacaCalls, int orphans, int audited);
}
