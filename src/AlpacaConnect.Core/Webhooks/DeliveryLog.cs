using System.Globalization;
using System.Text.Json.Nodes;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Storage;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Webhooks;

public static class DeliveryOutcome
{
    public const string Delivered = "delivered";
    /// <summary>Failed; another attempt is scheduled.</summary>
    public const string Retrying = "retrying";
    /// <summary>The last scheduled attempt failed; only a redelivery sends it again.</summary>
    public const string DeadLettered = "dead_lettered";
    /// <summary>The receiver answered 410 Gone: the subscription is disabled.</summary>
    public const string Gone = "gone";
    /// <summary>Not sent: the target is not allowed, or the subscription is gone or disabled.</summary>
    public const string Refused = "refused";
}

/// <summary>One attempt to deliver one event to one subscription.</summary>
public sealed record DeliveryAttempt(
    string SubscriptionId,
    string EventId,
    string EventType,
    int Attempt,
    string Outcome,
    int? StatusCode,
    long DurationMs,
    string? Error,
    DateTimeOffset At,
    DateTimeOffset? NextAttemptAt);

/// <summary>
/// Every attempt, one row each (partition = subscription, row = event id + attempt), with the event
/// itself so a dead-lettered or any past delivery can be sent again. Rows are kept
/// <see cref="RetentionOptions.DeliveriesAfter"/>: each partition is scheduled with the retention
/// index before it gets rows, and <see cref="Retention"/> purges it by key (event ids sort by time).
/// </summary>
public sealed class DeliveryLog(Tables tables, RetentionIndex retention, IOptions<RetentionOptions> keep)
{
    private TableClient Table => tables.Get(Tables.WebhookDeliveries);

    /// <summary>How the retention timer purges one subscription's log: rows of events older than the setting, attempted before it.</summary>
    public static RetentionRule Retention(TimeSpan keep) => new(Tables.WebhookDeliveries, (table, subscriptionId, now, ct) =>
    {
        var cutoff = now - keep;
        var filter = TableKeys.Between(subscriptionId, "", "evt_" + RetentionSweep.Version7Floor(cutoff))
            + " and " + TableClient.CreateQueryFilter($"At lt {cutoff}");
        return RetentionSweep.DeleteAllAsync(table, table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct), ct);
    });

    public async Task RecordAsync(DeliveryAttempt attempt, DomainEvent e, CancellationToken ct)
    {
        await retention.SchedulePartitionAsync(Tables.WebhookDeliveries, attempt.SubscriptionId, keep.Value.DeliveriesAfter, ct);
        await Table.UpsertEntityAsync(new TableEntity(attempt.SubscriptionId, $"{attempt.EventId}~{attempt.Attempt.ToString("D2", CultureInfo.InvariantCulture)}")
        {
            ["EventId"] = attempt.EventId,
            ["EventType"] = attempt.EventType,
            ["EventTimestamp"] = e.Timestamp,
            ["DataJson"] = e.Data.ToJsonString(),
            ["Attempt"] = attempt.Attempt,
            ["Outcome"] = attempt.Outcome,
            ["StatusCode"] = attempt.StatusCode,
            ["DurationMs"] = attempt.DurationMs,
            ["Error"] = attempt.Error,
            ["At"] = attempt.At,
            ["NextAttemptAt"] = attempt.NextAttemptAt,
        }, TableUpdateMode.Replace, ct);
    }

    public async Task<IReadOnlyList<DeliveryAttempt>> ForSubscriptionAsync(string subscriptionId, CancellationToken ct) =>
        await ReadAsync(Table.QueryAsync<TableEntity>(e => e.PartitionKey == subscriptionId, cancellationToken: ct));

    /// <summary>Across subscriptions: a filtered scan (deliveries are read by event rarely, by subscription often).</summary>
    public async Task<IReadOnlyList<DeliveryAttempt>> ForEventAsync(string eventId, CancellationToken ct) =>
        await ReadAsync(Table.QueryAsync<TableEntity>(e => e.GetString("EventId") == eventId, cancellationToken: ct));

    /// <summary>The event as it was delivered to this subscription, for a redelivery.</summary>
    public async Task<DomainEvent?> FindEventAsync(string subscriptionId, string eventId, CancellationToken ct)
    {
        await foreach (var row in Table.QueryAsync<TableEntity>(e => e.PartitionKey == subscriptionId && e.GetString("EventId") == eventId, maxPerPage: 1, cancellationToken: ct))
            return new DomainEvent(eventId, row.GetString("EventType"), row.GetDateTimeOffset("EventTimestamp")!.Value, JsonNode.Parse(row.GetString("DataJson"))!.AsObject());
        return null;
    }

    private static async Task<IReadOnlyList<DeliveryAttempt>> ReadAsync(Azure.AsyncPageable<TableEntity> rows)
    {
        var list = new List<DeliveryAttempt>();
        await foreach (var row in rows)
            list.Add(new DeliveryAttempt(row.PartitionKey, row.GetString("EventId"), row.GetString("EventType"), row.GetInt32("Attempt") ?? 0,
                row.GetString("Outcome"), row.GetInt32("StatusCode"), row.GetInt64("DurationMs") ?? 0, row.GetString("Error"),
                row.GetDateTimeOffset("At")!.Value, row.GetDateTimeOffset("NextAttemptAt")));
        return list.OrderBy(a => a.At).ThenBy(a => a.Attempt).ToList();
    }
}
