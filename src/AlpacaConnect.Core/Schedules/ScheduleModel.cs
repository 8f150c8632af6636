using System.Globalization;
using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Text.Json;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Trading;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Schedules;

public static class ScheduleStatus
{
    public const string Active = "active";
    public const string Paused = "paused";
    /// <summary>Past its end date or its max occurrences: it never fires again.</summary>
    public const string Completed = "completed";
}

/// <summary>What a schedule does when the market is closed at an occurrence (Alpaca's clock decides).</summary>
public static class MarketClosedPolicy
{
    /// <summary>Hold the occurrence and place it at the market's next open (default).</summary>
    public const string NextOpen = "next_open";
    /// <summary>Record the occurrence as skipped.</summary>
    public const string Skip = "skip";

    public static readonly IReadOnlyList<string> All = [NextOpen, Skip];
}

/// <summary>Why an occurrence was skipped or a schedule paused: the reason in its record and in its event.</summary>
public static class ScheduleReasons
{
    /// <summary>The market was closed at the occurrence and the schedule says skip.</summary>
    public const string MarketClosed = "market_closed";
    /// <summary>Due while nothing ran (downtime, a pause within the run) and older than Schedules:MissedRunWindow, or passed over by a later occurrence.</summary>
    public const string Missed = "missed";
    /// <summary>The connection was revoked, disconnected or lacks the trading scope at the due time.</summary>
    public const string ConnectionInactive = "connection_inactive";
    /// <summary>The trade intake refused the order template at the due time.</summary>
    public const string OrderRefused = "order_refused";
    /// <summary>Paused through the API.</summary>
    public const string ByRequest = "requested";
}

/// <summary>POST /api/schedules. Every field is checked and every problem listed (422), so each is optional here.</summary>
public sealed record CreateScheduleRequest
{
    public string? UserId { get; init; }
    public string? Env { get; init; }
    /// <summary>5 fields (minute hour day month weekday) or 6 (seconds first).</summary>
    public string? Cron { get; init; }
    /// <summary>IANA time zone the cron is read in, e.g. America/New_York.</summary>
    public string? TimeZone { get; init; }
    /// <summary>The order placed at each occurrence, in Alpaca's fields as POST /api/trades takes it.</summary>
    public TradeOrder? Order { get; init; }
    /// <summary>No occurrence before this.</summary>
    public DateTimeOffset? StartAt { get; init; }
    /// <summary>No occurrence after this.</summary>
    public DateTimeOffset? EndAt { get; init; }
    /// <summary>Occurrences placed before the schedule completes.</summary>
    public int? MaxOccurrences { get; init; }
    /// <summary>next_open (default) or skip.</summary>
    public string? MarketClosed { get; init; }
}

/// <summary>PATCH /api/schedules/{id}: the fields given replace the schedule's; the rest stay.</summary>
public sealed record UpdateScheduleRequest
{
    public string? Cron { get; init; }
    public string? TimeZone { get; init; }
    public TradeOrder? Order { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    public int? MaxOccurrences { get; init; }
    public string? MarketClosed { get; init; }
}

/// <summary>A schedule as the API shows it.</summary>
public sealed record ScheduleView
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string Env { get; init; }
    public required string Cron { get; init; }
    public required string TimeZone { get; init; }
    public required TradeOrder Order { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    public int? MaxOccurrences { get; init; }
    public required string MarketClosed { get; init; }
    /// <summary>active, paused or completed.</summary>
    public required string Status { get; init; }
    public string? PausedReason { get; init; }
    /// <summary>The next occurrence (its local time in the schedule's zone, as UTC).</summary>
    public DateTimeOffset? NextOccurrenceAt { get; init; }
    /// <summary>When the timer handles it: the occurrence, or the market's next open when it waits for one.</summary>
    public DateTimeOffset? NextRunAt { get; init; }
    /// <summary>Occurrences placed so far (what max_occurrences counts).</summary>
    public required int Placed { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

public sealed record ScheduleList(string UserId, IReadOnlyList<ScheduleView> Schedules);

/// <summary>One occurrence: placed (with its trade and the trade's status now) or skipped (with why).</summary>
public sealed record OccurrenceView
{
    public required DateTimeOffset OccurrenceAt { get; init; }
    /// <summary>placed or skipped.</summary>
    public required string Outcome { get; init; }
    public string? TradeId { get; init; }
    public string? TradeStatus { get; init; }
    public string? Reason { get; init; }
    /// <summary>
    /// A skipped record that stands for several occurrences (missed during downtime, or while the
    /// market was closed): how many, from this one up to the next record.
    /// </summary>
    public int? Count { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }
}

public sealed record OccurrenceList(string ScheduleId, IReadOnlyList<OccurrenceView> Occurrences);

/// <summary>Data of schedule.occurrence.placed / schedule.occurrence.skipped.</summary>
public sealed record ScheduleOccurrenceEventData(string ScheduleId, string UserId, string Env, DateTimeOffset OccurrenceAt,
    string? TradeId = null, string? Reason = null, int? Count = null);

/// <summary>Data of schedule.paused.</summary>
public sealed record SchedulePausedEventData(string ScheduleId, string UserId, string Env, string Reason, string? Detail = null);

/// <summary>An occurrence as the schedule's row keeps it (the newest <see cref="ScheduleEntity.KeptOccurrences"/>).</summary>
public sealed record OccurrenceRecord(DateTimeOffset OccurrenceAt, string Outcome, DateTimeOffset RecordedAt, string? TradeId = null, string? Reason = null, int? Count = null)
{
    public const string Placed = "placed";
    public const string Skipped = "skipped";
}

/// <summary>
/// Schedule ids locate their row as trade ids do: "{userId}~{32 hex}" (partition = user id). The
/// trade of an occurrence is found from the schedule id and the occurrence alone: its idempotency key.
/// </summary>
public static class ScheduleIds
{
    public static string NewRowKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static bool TryParse(string? id, out string userId, out string rowKey) => TradeIds.TryParse(id, out userId, out rowKey);

    /// <summary>The idempotency key of one occurrence: schedule id + the occurrence in UTC.</summary>
    public static string IdempotencyKey(string scheduleId, DateTimeOffset occurrenceAt) =>
        $"schedule:{scheduleId}@{occurrenceAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}";

    public static string Origin(string scheduleId) => "schedule:" + scheduleId;

    public static string TradeId(string userId, string scheduleId, DateTimeOffset occurrenceAt) =>
        TradeIds.Compose(userId, TradeIds.RowKeyFor(IdempotencyKey(scheduleId, occurrenceAt)));
}

/// <summary>The schedule's row (<see cref="Storage.Tables.Schedules"/>): partition = user id, row = the id's hex part.</summary>
public sealed class ScheduleEntity : ITableEntity
{
    /// <summary>How many occurrences the row keeps for GET .../occurrences (newest first); older ones drop off.</summary>
    public const int KeptOccurrences = 50;

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Env { get; set; } = "";
    public string Cron { get; set; } = "";
    public string TimeZone { get; set; } = "";
    public string OrderJson { get; set; } = "{}";
    public DateTimeOffset? StartAt { get; set; }
    public DateTimeOffset? EndAt { get; set; }
    public int? MaxOccurrences { get; set; }
    public string MarketClosed { get; set; } = MarketClosedPolicy.NextOpen;
    public string Status { get; set; } = ScheduleStatus.Active;
    public string? PausedReason { get; set; }
    public DateTimeOffset? NextOccurrenceAt { get; set; }
    public DateTimeOffset? NextRunAt { get; set; }
    public int Placed { get; set; }
    public string OccurrencesJson { get; set; } = "[]";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    [IgnoreDataMember] public string Id => TradeIds.Compose(PartitionKey, RowKey);
    [IgnoreDataMember] public TradeOrder Order => JsonSerializer.Deserialize<TradeOrder>(OrderJson, JsonBody.Options)!;
    [IgnoreDataMember] public List<OccurrenceRecord> Occurrences => JsonSerializer.Deserialize<List<OccurrenceRecord>>(OccurrencesJson, JsonBody.Options)!;
    [IgnoreDataMember] public Recurrence Recurrence => Recurrence.Of(Cron, TimeZone);

    public void Record(OccurrenceRecord occurrence) =>
        OccurrencesJson = JsonSerializer.Serialize(Occurrences.Prepend(occurrence).Take(KeptOccurrences).ToList(), JsonBody.Options);

    /// <summary>
    /// Points the schedule at its first occurrence after <paramref name="after"/> that start, end and
    /// max occurrences allow, or completes it.
    /// </summary>
    public void ScheduleNext(DateTimeOffset after, bool inclusive = false)
    {
        // An occurrence exactly at start_at counts; after that, strictly after the last one handled.
        var fromStart = StartAt is { } start && start > after;
        var from = fromStart ? StartAt!.Value : after;
        var next = MaxOccurrences is { } max && Placed >= max ? null : Recurrence.Next(from, inclusive || fromStart);
        if (next is { } n && EndAt is { } end && n > end)
            next = null;
        NextOccurrenceAt = NextRunAt = next;
        if (next is null)
            Status = ScheduleStatus.Completed;
    }

    public ScheduleView ToView() => new()
    {
        Id = Id,
        UserId = PartitionKey,
        Env = Env,
        Cron = Cron,
        TimeZone = TimeZone,
        Order = Order,
        StartAt = StartAt,
        EndAt = EndAt,
        MaxOccurrences = MaxOccurrences,
        MarketClosed = MarketClosed,
        Status = Status,
        PausedReason = PausedReason,
        NextOccurrenceAt = NextOccurrenceAt,
        NextRunAt = NextRunAt,
        Placed = Placed,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
    };
}
