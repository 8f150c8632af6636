using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Trading;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Schedules;

/// <summary>
/// /api/schedules (key): create, list, show, change, delete, pause, resume, and the occurrences.
/// Every write is validated whole first (422 lists every problem, nothing stored) and lands with its
/// index row first (see <see cref="ScheduleStore"/>).
/// </summary>
public sealed partial class SchedulesApi(ScheduleStore store, TradeStore trades, ConnectionTokens tokens, TimeProvider time, ILogger<SchedulesApi> logger)
{
    public const int MaxOccurrencesLimit = 100_000;

    public async Task<IResult> CreateAsync(HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<CreateScheduleRequest>(request, ct);
        if (body is null)
            return problem!;
        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        var env = UserIds.Check(body.UserId, body.Env, errors);
        var schedule = new ScheduleEntity
        {
            PartitionKey = body.UserId ?? "",
            RowKey = ScheduleIds.NewRowKey(),
            Env = body.Env ?? "",
            Cron = body.Cron ?? "",
            TimeZone = body.TimeZone ?? "",
            StartAt = body.StartAt,
            EndAt = body.EndAt,
            MaxOccurrences = body.MaxOccurrences,
            MarketClosed = body.MarketClosed ?? MarketClosedPolicy.NextOpen,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Validate(body.Cron, body.TimeZone, body.Order, schedule, now, errors, recompute: true);
        if (!errors.ContainsKey("user_id") && !errors.ContainsKey("env"))
            await CheckConnectionAsync(body.UserId!, env, body.Env!, errors, ct);
        if (errors.Count > 0)
            return Problems.Validation(errors, "Nothing was stored.");

        await store.AddAsync(schedule, ct);
        LogCreated(schedule.Id, schedule.PartitionKey, schedule.NextRunAt);
        return JsonBody.Ok(schedule.ToView(), StatusCodes.Status201Created);
    }

    public async Task<IResult> ListAsync(HttpRequest request)
    {
        string? userId = request.Query["user_id"].FirstOrDefault();
        string? env = request.Query["env"].FirstOrDefault();
        var errors = new Dictionary<string, string[]>();
        if (!UserIds.IsValid(userId))
            errors["user_id"] = [$"Required: the app's user id ({UserIds.Rule})."];
        if (env is not null && !AlpacaEnvNames.TryParse(env, out _))
            errors["env"] = ["Must be 'paper' or 'live', or left out for both."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var schedules = await store.ListAsync(userId!, env, request.HttpContext.RequestAborted);
        return JsonBody.Ok(new ScheduleList(userId!, schedules.OrderBy(s => s.CreatedAt).Select(s => s.ToView()).ToList()));
    }

    public async Task<IResult> GetAsync(HttpRequest request, string id) =>
        await FindAsync(id, request.HttpContext.RequestAborted) is { } s ? JsonBody.Ok(s.ToView()) : NotFound(id);

    public async Task<IResult> UpdateAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<UpdateScheduleRequest>(request, ct);
        if (body is null)
            return problem!;
        if (await FindAsync(id, ct) is not { } s)
            return NotFound(id);
        if (s.Status == ScheduleStatus.Completed)
            return Problems.Create(StatusCodes.Status409Conflict, "schedule-completed", "The schedule has completed.", "Create a new schedule.");

        var now = time.GetUtcNow();
        var (cron, zone, order) = (body.Cron ?? s.Cron, body.TimeZone ?? s.TimeZone, body.Order ?? s.Order);
        s.Cron = cron;
        s.TimeZone = zone;
        s.StartAt = body.StartAt ?? s.StartAt;
        s.EndAt = body.EndAt ?? s.EndAt;
        s.MaxOccurrences = body.MaxOccurrences ?? s.MaxOccurrences;
        s.MarketClosed = body.MarketClosed ?? s.MarketClosed;
        var errors = new Dictionary<string, string[]>();
        var previousRun = s.NextRunAt;
        // A change of timing points the schedule at its next occurrence from now; other changes keep its next run.
        var timing = body.Cron is not null || body.TimeZone is not null || body.StartAt is not null || body.EndAt is not null || body.MaxOccurrences is not null;
        Validate(cron, zone, order, s, now, errors, recompute: timing && s.Status == ScheduleStatus.Active);
        if (errors.Count > 0)
            return Problems.Validation(errors, "Nothing was changed.");
        s.UpdatedAt = now;
        if (!await store.TryReplaceAsync(s, [], ct))
            return Busy();
        if (previousRun is { } previous && previous != s.NextRunAt)
            await store.UnindexCurrentAsync(new ScheduleEntity { PartitionKey = s.PartitionKey, RowKey = s.RowKey, NextRunAt = previous }, ct);
        return JsonBody.Ok(s.ToView());
    }

    public async Task<IResult> DeleteAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await FindAsync(id, ct) is not { } s)
            return NotFound(id);
        if (!await store.DeleteAsync(s, ct))
            return Busy();
        await store.UnindexCurrentAsync(s, ct);
        LogDeleted(s.Id);
        return TypedResults.NoContent();
    }

    public async Task<IResult> PauseAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await FindAsync(id, ct) is not { } s)
            return NotFound(id);
        if (s.Status != ScheduleStatus.Active)
            return JsonBody.Ok(s.ToView());
        var pausedRun = new ScheduleEntity { PartitionKey = s.PartitionKey, RowKey = s.RowKey, NextRunAt = s.NextRunAt };
        var events = new List<DomainEvent>();
        ScheduleRunner.Pause(s, ScheduleReasons.ByRequest, null, time.GetUtcNow(), events);
        if (!await store.TryReplaceAsync(s, events, ct))
            return Busy();
        await store.UnindexCurrentAsync(pausedRun, ct);
        return JsonBody.Ok(s.ToView());
    }

    /// <summary>Resumes at the next occurrence after now: what fell due while paused is not caught up.</summary>
    public async Task<IResult> ResumeAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await FindAsync(id, ct) is not { } s)
            return NotFound(id);
        if (s.Status == ScheduleStatus.Completed)
            return Problems.Create(StatusCodes.Status409Conflict, "schedule-completed", "The schedule has completed.", "Create a new schedule.");
        if (s.Status == ScheduleStatus.Active)
            return JsonBody.Ok(s.ToView());
        var errors = new Dictionary<string, string[]>();
        await CheckConnectionAsync(s.PartitionKey, AlpacaEnvNames.TryParse(s.Env, out var env) ? env : AlpacaEnv.Paper, s.Env, errors, ct);
        if (errors.Count > 0)
            return Problems.Validation(errors, "The schedule stays paused.");
        var now = time.GetUtcNow();
        s.Status = ScheduleStatus.Active;
        s.PausedReason = null;
        s.ScheduleNext(now);
        s.UpdatedAt = now;
        return await store.TryReplaceAsync(s, [], ct) ? JsonBody.Ok(s.ToView()) : Busy();
    }

    /// <summary>The occurrences the schedule keeps (newest first), each placed one with its trade's status now.</summary>
    public async Task<IResult> OccurrencesAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await FindAsync(id, ct) is not { } s)
            return NotFound(id);
        var views = await Task.WhenAll(s.Occurrences.Select(async o =>
        {
            string? status = null;
            if (o.TradeId is not null && TradeIds.TryParse(o.TradeId, out var userId, out var rowKey))
                status = (await trades.GetAsync(userId, rowKey, ct))?.Status;
            return new OccurrenceView
            {
                OccurrenceAt = o.OccurrenceAt,
                Outcome = o.Outcome,
                TradeId = o.TradeId,
                TradeStatus = status,
                Reason = o.Reason,
                Count = o.Count,
                RecordedAt = o.RecordedAt,
            };
        }));
        return JsonBody.Ok(new OccurrenceList(s.Id, views));
    }

    /// <summary>Checks recurrence, zone, template, dates and policy into <paramref name="schedule"/> and computes its next run.</summary>
    private static void Validate(string? cron, string? timeZone, TradeOrder? order, ScheduleEntity schedule, DateTimeOffset now, Dictionary<string, string[]> errors, bool recompute)
    {
        var recurrence = Recurrence.TryCreate(cron, timeZone, errors);
        if (order is null)
            errors["order"] = ["Required: the order placed at each occurrence, in Alpaca's fields as POST /api/trades takes it."];
        else
        {
            foreach (var (field, problems) in TradeValidator.Validate(new TradeRequest(schedule.PartitionKey, schedule.Env, order)))
                if (field.StartsWith("order", StringComparison.Ordinal))
                    errors[field] = problems;
            schedule.OrderJson = JsonSerializer.Serialize(order, JsonBody.Options);
        }
        if (schedule.EndAt is { } end && end <= now)
            errors["end_at"] = ["Must be in the future."];
        if (schedule is { StartAt: { } s, EndAt: { } e } && e <= s)
            errors["end_at"] = ["Must be after start_at."];
        if (schedule.MaxOccurrences is { } max && (max < 1 || max > MaxOccurrencesLimit))
            errors["max_occurrences"] = [$"1 to {MaxOccurrencesLimit}, or left out for no limit."];
        else if (schedule.MaxOccurrences is { } m && m <= schedule.Placed)
            errors["max_occurrences"] = [$"{schedule.Placed} occurrences were placed already; give more than that."];
        if (!MarketClosedPolicy.All.Contains(schedule.MarketClosed))
            errors["market_closed"] = [$"One of {string.Join(", ", MarketClosedPolicy.All)}."];
        if (recurrence is null || errors.Count > 0)
            return;

        // Whether it would ever fire, also for a paused schedule (it is only computed, not set).
        var probe = new ScheduleEntity { Cron = schedule.Cron, TimeZone = schedule.TimeZone, StartAt = schedule.StartAt, EndAt = schedule.EndAt, MaxOccurrences = schedule.MaxOccurrences, Placed = schedule.Placed };
        probe.ScheduleNext(now);
        if (probe.Status == ScheduleStatus.Completed)
            errors["cron"] = ["Never fires between start_at and end_at (or from now on)."];
        else if (recompute)
            (schedule.NextOccurrenceAt, schedule.NextRunAt) = (probe.NextOccurrenceAt, probe.NextRunAt);
    }

    private async Task CheckConnectionAsync(string userId, AlpacaEnv env, string envName, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        var connection = await tokens.GetAsync(userId, env, ct);
        if (connection is null)
            errors["connection"] = [$"User '{userId}' has no active {envName} connection. Connect the account first."];
        else if (!connection.Value.Connection.HasScope("trading"))
            errors["connection"] = [$"The {envName} connection was granted '{connection.Value.Connection.Scopes}' without the 'trading' scope. Reconnect with the trading scope."];
    }

    private async Task<ScheduleEntity?> FindAsync(string id, CancellationToken ct) =>
        ScheduleIds.TryParse(id, out var userId, out var rowKey) ? await store.GetAsync(userId, rowKey, ct) : null;

    private static IResult NotFound(string id) => Problems.NotFound($"No schedule '{id}'.");

    private static IResult Busy() =>
        Problems.Create(StatusCodes.Status409Conflict, "schedule-busy", "The schedule changed while this request ran (a timer run or another request).", "Read it again and retry.");

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId} created for user {UserId}, next run {NextRunAt:O}")]
    private partial void LogCreated(string scheduleId, string userId, DateTimeOffset? nextRunAt);

    [LoggerMessage(LogLevel.Information, "Schedule {ScheduleId} deleted")]
    private partial void LogDeleted(string scheduleId);
}
