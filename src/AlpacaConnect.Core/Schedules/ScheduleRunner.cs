using System.Collections.Concurrent;
using System.Diagnostics;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Telemetry;
using AlpacaConnect.Core.Trading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Schedules;

/// <summary>
/// The schedules' timer (Functions timer and the Server's runner, on Schedules:TimerSchedule): reads
/// the due index, places each due occurrence through <see cref="TradeIntake"/> with the occurrence's
/// own idempotency key, and advances the schedule with an ETag-conditional write. Exactly once rests
/// on the key, not on a lease: a late, doubled or concurrent run, or one after a crash between
/// placing and advancing, asks for the same trade again and gets the one already there.
/// </summary>
public sealed partial class ScheduleRunner(
    ScheduleStore store,
    TradeIntake intake,
    ConnectionTokens tokens,
    ConnectionStore connections,
    AlpacaTradingClient alpaca,
    IOptions<ScheduleOptions> options,
    TimeProvider time,
    ILogger<ScheduleRunner> logger)
{
    /// <summary>What one run did: the rows it read and what became of them.</summary>
    public sealed record RunReport(int DueRows, int Placed, int Skipped, int Deferred, int Paused, int Stale, int Waiting, int LostRaces);

    private abstract record Step;
    private sealed record Stale(DueRow Row) : Step;
    private sealed record Wait : Step;
    private sealed record Advance(DueRow Row, ScheduleEntity Schedule, List<DomainEvent> Events, string Kind) : Step;

    public async Task<RunReport> RunAsync(CancellationToken ct)
    {
        using var activity = AlpacaConnectTelemetry.Source.StartActivity("schedule.run");
        var now = time.GetUtcNow();
        var due = await store.DueAsync(now, ct);
        if (due.Count == 0)
            return new RunReport(0, 0, 0, 0, 0, 0, 0, 0);

        var clocks = new MarketClocks(alpaca);
        var steps = new ConcurrentBag<Step>();
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Concurrency, CancellationToken = ct },
            async (row, ct) => steps.Add(await HandleAsync(row, now, clocks, ct)));

        // The index rows of the next runs first, so a schedule is never without one; then the schedules
        // (ETag-conditional: a loser of a race leaves everything to the winner); then the rows done with.
        var advances = steps.OfType<Advance>().ToList();
        await store.IndexAsync(advances.Select(a => a.Schedule), ct);
        var committed = new ConcurrentBag<Advance>();
        await Parallel.ForEachAsync(advances, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Concurrency, CancellationToken = ct }, async (a, ct) =>
        {
            if (await store.TryCommitAsync(a.Schedule, a.Events, ct))
                committed.Add(a);
            else
                LogLostRace(a.Schedule.Id);
        });
        var stale = steps.OfType<Stale>().Select(s => s.Row).ToList();
        await store.UnindexAsync(stale.Concat(committed
            .Where(a => a.Schedule.NextRunAt is not { } next || ScheduleStore.Bucket(next) != a.Row.PartitionKey)
            .Select(a => a.Row)), ct);

        var report = new RunReport(due.Count,
            committed.Count(a => a.Kind == OccurrenceRecord.Placed), committed.Count(a => a.Kind == OccurrenceRecord.Skipped),
            committed.Count(a => a.Kind == Deferred), committed.Count(a => a.Kind == ScheduleStatus.Paused),
            stale.Count, steps.Count(s => s is Wait), advances.Count - committed.Count);
        activity?.SetTag("schedule.due_rows", due.Count).SetTag("schedule.placed", report.Placed);
        LogRun(report.DueRows, report.Placed, report.Skipped, report.Deferred, report.Paused, report.Stale, report.Waiting, report.LostRaces);
        return report;
    }

    private const string Deferred = "deferred";
    private const string Rescheduled = "rescheduled";

    private async Task<Step> HandleAsync(DueRow row, DateTimeOffset now, MarketClocks clocks, CancellationToken ct)
    {
        if (!ScheduleIds.TryParse(row.RowKey, out var userId, out var rowKey))
            return new Stale(row);
        var s = await store.GetAsync(userId, rowKey, ct);
        if (s is null || s.Status != ScheduleStatus.Active || s.NextRunAt is not { } runAt || s.NextOccurrenceAt is not { } nextOccurrence
            || ScheduleStore.Bucket(runAt) != row.PartitionKey)
            return new Stale(row);
        if (runAt > now)
            return new Wait();

        var events = new List<DomainEvent>();
        var window = options.Value.MissedRunWindow;
        var deferred = runAt != nextOccurrence;
        DateTimeOffset occurrence;
        if (deferred)
        {
            // Held for the market's open: that open is what it is late against.
            occurrence = nextOccurrence;
            if (now - runAt > window)
                return Skip(row, s, occurrence, ScheduleReasons.Missed, null, now, events);
        }
        else
        {
            var (latest, passed, firstPassed) = s.Recurrence.Due(nextOccurrence, s.EndAt is { } end && end < now ? end : now);
            if (latest is not { } l)
            {
                s.ScheduleNext(now);
                s.UpdatedAt = now;
                return new Advance(row, s, events, Rescheduled);
            }
            // Only the latest of several due occurrences may run: no catch-up storm after downtime.
            if (passed > 0)
                RecordSkip(s, firstPassed!.Value, ScheduleReasons.Missed, passed, now, events);
            occurrence = l;
            if (now - occurrence > window)
                return Skip(row, s, occurrence, ScheduleReasons.Missed, null, now, events);
        }

        var env = AlpacaEnvNames.TryParse(s.Env, out var e) ? e : AlpacaEnv.Paper;
        var connection = await tokens.GetAsync(userId, env, ct);
        if (connection is null || !connection.Value.Connection.HasScope("trading"))
            return await PauseInactiveAsync(row, s, occurrence, now, events, ct);

        var clock = await clocks.GetAsync(env, connection.Value.Token, ct);
        if (clock.Error is { } error)
        {
            if (error.Kind != AlpacaErrorKind.Unauthorized)
            {
                // Alpaca is away for a moment: the row stays, the next run tries again (within the missed window).
                LogClockUnavailable(s.Id, error.Describe());
                return new Wait();
            }
            await tokens.RevokeAsync(userId, env, ct);
            return await PauseInactiveAsync(row, s, occurrence, now, events, ct);
        }
        if (!clock.Value!.IsOpen)
        {
            if (s.MarketClosed == MarketClosedPolicy.Skip)
                return Skip(row, s, occurrence, ScheduleReasons.MarketClosed, null, now, events);
            s.NextOccurrenceAt = occurrence;
            s.NextRunAt = clock.Value.NextOpen.ToUniversalTime();
            s.UpdatedAt = now;
            LogDeferred(s.Id, occurrence, s.NextRunAt.Value);
            return new Advance(row, s, events, Deferred);
        }

        var key = ScheduleIds.IdempotencyKey(s.Id, occurrence);
        var outcome = await intake.AcceptAsync(new TradeRequest(userId, s.Env, s.Order), key, ScheduleIds.Origin(s.Id), ct);
        string tradeId;
        switch (outcome)
        {
            case TradeIntake.Accepted accepted:
                tradeId = accepted.Trade.TradeId;
                break;
            case TradeIntake.Replayed replayed:
                tradeId = replayed.Trade.TradeId;
                break;
            case TradeIntake.KeyConflict conflict:
                // Placed before with the template as it was then (PATCHed since): still that occurrence's one trade.
                tradeId = conflict.Existing.TradeId;
                break;
            case TradeIntake.Invalid invalid when invalid.Errors.ContainsKey("connection"):
                return await PauseInactiveAsync(row, s, occurrence, now, events, ct);
            case TradeIntake.Invalid invalid:
                var detail = string.Join(" ", invalid.Errors.Select(kv => $"{kv.Key}: {string.Join(" ", kv.Value)}"));
                RecordSkip(s, occurrence, ScheduleReasons.OrderRefused, null, now, events);
                Pause(s, ScheduleReasons.OrderRefused, detail, now, events);
                return new Advance(row, s, events, ScheduleStatus.Paused);
            default:
                throw new UnreachableException();
        }

        s.Placed++;
        s.Record(new OccurrenceRecord(occurrence, OccurrenceRecord.Placed, now, TradeId: tradeId));
        events.Add(DomainEvent.Create(EventTypes.ScheduleOccurrencePlaced, now, new ScheduleOccurrenceEventData(s.Id, userId, s.Env, occurrence, tradeId)));
        if (deferred && s.Recurrence.Next(occurrence) is { } after && after <= now)
        {
            // Occurrences that fell due while this one waited for the open.
            var (_, passed, _) = s.Recurrence.Due(after, now);
            RecordSkip(s, after, ScheduleReasons.MarketClosed, passed + 1, now, events);
        }
        s.ScheduleNext(now);
        s.UpdatedAt = now;
        LogPlaced(s.Id, occurrence, tradeId);
        return new Advance(row, s, events, OccurrenceRecord.Placed);
    }

    private Advance Skip(DueRow row, ScheduleEntity s, DateTimeOffset occurrence, string reason, int? count, DateTimeOffset now, List<DomainEvent> events)
    {
        RecordSkip(s, occurrence, reason, count, now, events);
        s.ScheduleNext(now);
        s.UpdatedAt = now;
        return new Advance(row, s, events, OccurrenceRecord.Skipped);
    }

    private void RecordSkip(ScheduleEntity s, DateTimeOffset occurrence, string reason, int? count, DateTimeOffset now, List<DomainEvent> events)
    {
        count = count is > 1 ? count : null;
        s.Record(new OccurrenceRecord(occurrence, OccurrenceRecord.Skipped, now, Reason: reason, Count: count));
        events.Add(DomainEvent.Create(EventTypes.ScheduleOccurrenceSkipped, now, new ScheduleOccurrenceEventData(s.Id, s.PartitionKey, s.Env, occurrence, Reason: reason, Count: count)));
        LogSkipped(s.Id, occurrence, reason, count ?? 1);
    }

    /// <summary>The connection is not there to trade with: the occurrence is skipped and the schedule paused until resumed.</summary>
    private async Task<Step> PauseInactiveAsync(DueRow row, ScheduleEntity s, DateTimeOffset occurrence, DateTimeOffset now, List<DomainEvent> events, CancellationToken ct)
    {
        var connection = await connections.GetAsync(s.PartitionKey, AlpacaEnvNames.TryParse(s.Env, out var env) ? env : AlpacaEnv.Paper, ct);
        var detail = connection is null ? $"No {s.Env} connection."
            : connection.Status == ConnectionStatus.Active ? $"The {s.Env} connection lacks the trading scope."
            : $"The {s.Env} connection is {connection.Status}.";
        RecordSkip(s, occurrence, ScheduleReasons.ConnectionInactive, null, now, events);
        Pause(s, ScheduleReasons.ConnectionInactive, detail, now, events);
        return new Advance(row, s, events, ScheduleStatus.Paused);
    }

    internal static void Pause(ScheduleEntity s, string reason, string? detail, DateTimeOffset now, List<DomainEvent> events)
    {
        s.Status = ScheduleStatus.Paused;
        s.PausedReason = reason;
        s.NextOccurrenceAt = s.NextRunAt = null;
        s.UpdatedAt = now;
        events.Add(DomainEvent.Create(EventTypes.SchedulePaused, now, new SchedulePausedEventData(s.Id, s.PartitionKey, s.Env, reason, detail)));
    }

    /// <summary>Alpaca's clock, read once per env per run (it is the market's, not the account's), with the token of the first schedule that asks.</summary>
    private sealed class MarketClocks(AlpacaTradingClient alpaca)
    {
        private readonly ConcurrentDictionary<AlpacaEnv, Task<AlpacaResult<AlpacaClock>>> _clocks = new();

        public async Task<AlpacaResult<AlpacaClock>> GetAsync(AlpacaEnv env, AccessToken token, CancellationToken ct)
        {
            var read = _clocks.GetOrAdd(env, _ => alpaca.GetClockAsync(env, token, ct));
            var result = await read;
            if (!result.IsSuccess)
            {
                // Not cached: the next schedule asks again with its own token.
                _clocks.TryRemove(new KeyValuePair<AlpacaEnv, Task<AlpacaResult<AlpacaClock>>>(env, read));
                if (result.Error!.Kind == AlpacaErrorKind.Unauthorized)
                    result = await alpaca.GetClockAsync(env, token, ct);
            }
            return result;
        }
    }

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId}: occurrence {OccurrenceAt:O} placed as trade {TradeId}")]
    private partial void LogPlaced(string scheduleId, DateTimeOffset occurrenceAt, string tradeId);

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId}: occurrence {OccurrenceAt:O} skipped ({Reason}, {Count} occurrence(s))")]
    private partial void LogSkipped(string scheduleId, DateTimeOffset occurrenceAt, string reason, int count);

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId}: occurrence {OccurrenceAt:O} waits for the market's open at {NextOpen:O}")]
    private partial void LogDeferred(string scheduleId, DateTimeOffset occurrenceAt, DateTimeOffset nextOpen);

    [LoggerMessage(LogLevel.Warning, "Schedule {ScheduleId}: Alpaca's clock is unavailable ({Error}); the next run tries again")]
    private partial void LogClockUnavailable(string scheduleId, string error);

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId} was changed by another writer during this run; its change stands")]
    private partial void LogLostRace(string scheduleId);

    [LoggerMessage(LogLevel.Information, "Schedules run: {DueRows} due row(s), {Placed} placed, {Skipped} skipped, {Deferred} deferred, {Paused} paused, {Stale} stale, {Waiting} waiting, {LostRaces} lost race(s)")]
    private partial void LogRun(int dueRows, int placed, int skipped, int deferred, int paused, int stale, int waiting, int lostRaces);
}
