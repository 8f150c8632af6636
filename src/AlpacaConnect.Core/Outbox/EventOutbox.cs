using System.Text.Json.Nodes;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Outbox;

/// <summary>The tables whose partitions carry outbox rows; each producer registers its own (<see cref="OutboxServiceCollectionExtensions.AddOutboxTable"/>).</summary>
public sealed class OutboxOptions
{
    public HashSet<string> Tables { get; } = [];
}

/// <summary>
/// A change and the events it raised, committed together: the events ride as outbox rows in the
/// changed entity's partition, in one entity-group transaction, so there is no change without its
/// events and no event without its change. After the commit they go to the <see cref="IEventDispatcher"/>
/// and their rows are marked dispatched; if the process dies in between, <see cref="OutboxSweep"/>
/// dispatches them later. An event nobody wants is not written, so a change nobody watches stays a
/// one-entity write (one round trip). Events are indexed as open work (<see cref="WorkIndex"/>) before
/// they are written and leave the index when dispatched, so the sweep finds what is left by key.
/// </summary>
public sealed partial class EventOutbox(Tables tables, IEventDispatcher dispatcher, WorkIndex index, RetentionIndex retention, IOptions<RetentionOptions> keep,
    IOptions<OutboxOptions> options, ILogger<EventOutbox> logger)
{
    /// <summary>Outbox rows' row keys start with this, so readers of a partition can tell them from its entities.</summary>
    public const string RowPrefix = "evt~";

    /// <summary>The <see cref="WorkIndex"/> kind of a table's undispatched events: partition = the changed entity's, row = the event id.</summary>
    public static string PendingKind(string table) => "outbox-" + table;

    /// <summary>
    /// Writes <paramref name="change"/> and the events anyone wants, then dispatches those. Storage
    /// refusals (409 for an Add that exists, 412 for a stale ETag, 404) come out as they are, with
    /// nothing written. Returns the changed entity's new ETag.
    /// </summary>
    public async Task<ETag> CommitAsync(string table, TableTransactionAction change, IEnumerable<DomainEvent> events, CancellationToken ct)
    {
        var client = Table(table);
        var partitionKey = change.Entity.PartitionKey;
        var wanted = await WantedAsync(events, ct);
        ETag? etag;
        if (wanted.Count == 0)
            etag = (await WriteAloneAsync(client, change, ct)).Headers.ETag;
        else
        {
            await BeforeEventsAsync(table, partitionKey, wanted, ct);
            var result = await client.SubmitTransactionAsync([change, .. Rows(partitionKey, wanted)], ct);
            etag = result.Value[0].Headers.ETag;
        }
        await DispatchAsync(table, partitionKey, wanted, ct);
        return etag ?? throw new InvalidOperationException("Table storage returned no ETag.");
    }

    /// <summary>
    /// Several changes in one partition and the events anyone wants, all or nothing in one
    /// entity-group transaction (at most 100 rows with the events), then the events are dispatched.
    /// A refusal (409, 412, 404 on any row) comes out as a <see cref="TableTransactionFailedException"/> with nothing written.
    /// </summary>
    public async Task CommitAsync(string table, IReadOnlyList<TableTransactionAction> changes, IEnumerable<DomainEvent> events, CancellationToken ct)
    {
        var client = Table(table);
        var wanted = await WantedAsync(events, ct);
        var partitionKey = changes[0].Entity.PartitionKey;
        if (wanted.Count > 0)
            await BeforeEventsAsync(table, partitionKey, wanted, ct);
        if (changes.Count == 1 && wanted.Count == 0)
            await WriteAloneAsync(client, changes[0], ct);
        else
            await client.SubmitTransactionAsync([.. changes, .. Rows(partitionKey, wanted)], ct);
        await DispatchAsync(table, partitionKey, wanted, ct);
    }

    /// <summary>Events that change no entity (e.g. a refused connect): their outbox rows are the whole write, none if nobody wants them.</summary>
    public async Task RecordAsync(string table, string partitionKey, IEnumerable<DomainEvent> events, CancellationToken ct)
    {
        var client = Table(table);
        var wanted = await WantedAsync(events, ct);
        if (wanted.Count == 0)
            return;
        await BeforeEventsAsync(table, partitionKey, wanted, ct);
        await client.SubmitTransactionAsync(Rows(partitionKey, wanted), ct);
        await DispatchAsync(table, partitionKey, wanted, ct);
    }

    /// <summary>Hands committed events on and marks their rows dispatched; a failure leaves them to the sweep.</summary>
    internal async Task DispatchAsync(string tableName, string partitionKey, IReadOnlyList<DomainEvent> events, CancellationToken ct)
    {
        var table = Table(tableName);
        foreach (var e in events)
        {
            try
            {
                await dispatcher.DispatchAsync(e, ct);
                await table.UpdateEntityAsync(new TableEntity(partitionKey, RowPrefix + e.Id) { [Columns.Dispatched] = true }, ETag.All, TableUpdateMode.Merge, ct);
                await index.RemoveAsync(PendingKind(tableName), partitionKey, [e.Id], ct);
            }
            catch (Exception ex) when (ex is RequestFailedException or HttpRequestException)
            {
                LogDispatchDeferred(e.Id, e.Type, ex.Message);
            }
        }
    }

    /// <summary>Before outbox rows are written: their entries in the work index (for the sweep), and the partition's retention entry.</summary>
    private async Task BeforeEventsAsync(string table, string partitionKey, IReadOnlyList<DomainEvent> events, CancellationToken ct)
    {
        await index.AddAsync(PendingKind(table), partitionKey, [.. events.Select(e => e.Id)], ct);
        await retention.SchedulePartitionAsync(table, partitionKey, keep.Value.OutboxAfter, ct);
    }


    /// <summary>How the retention timer purges one partition's outbox: dispatched rows of events older than the setting.</summary>
    public static RetentionRule Retention(string table, TimeSpan keep) => new(table, (client, partitionKey, now, ct) =>
    {
        var filter = TableKeys.Between(partitionKey, RowPrefix, RowPrefix + "evt_" + RetentionSweep.Version7Floor(now - keep))
            + " and " + TableClient.CreateQueryFilter($"Dispatched eq {true}");
        return RetentionSweep.DeleteAllAsync(client, client.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct), ct);
    });

    internal TableClient Table(string name) => options.Value.Tables.Contains(name)
        ? tables.Get(name)
        : throw new InvalidOperationException($"Table '{name}' is not registered with the outbox (AddOutboxTable), so the sweep would never find its events.");

    internal static class Columns
    {
        public const string Type = "EventType";
        public const string Version = "EventVersion";
        public const string Timestamp = "EventTimestamp";
        public const string Data = "DataJson";
        public const string Dispatched = "Dispatched";
    }

    internal static DomainEvent FromRow(TableEntity row) => new(
        row.RowKey[RowPrefix.Length..],
        row.GetString(Columns.Type),
        row.GetDateTimeOffset(Columns.Timestamp)!.Value,
        JsonNode.Parse(row.GetString(Columns.Data))!.AsObject(),
        row.GetInt32(Columns.Version) ?? 1); // rows written before versions were stored are version 1

    private static IEnumerable<TableTransactionAction> Rows(string partitionKey, IEnumerable<DomainEvent> events) =>
        events.Select(e => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partitionKey, RowPrefix + e.Id)
        {
            [Columns.Type] = e.Type,
            [Columns.Version] = e.Version,
            [Columns.Timestamp] = e.Timestamp,
            [Columns.Data] = e.Data.ToJsonString(),
            [Columns.Dispatched] = false,
        }));

    private async Task<IReadOnlyList<DomainEvent>> WantedAsync(IEnumerable<DomainEvent> events, CancellationToken ct)
    {
        var wanted = new List<DomainEvent>();
        foreach (var e in events)
            if (await dispatcher.WantsAsync(e.Type, ct))
                wanted.Add(e);
        return wanted;
    }

    private static Task<Response> WriteAloneAsync(TableClient table, TableTransactionAction change, CancellationToken ct) => change.ActionType switch
    {
        TableTransactionActionType.Add => table.AddEntityAsync(change.Entity, ct),
        TableTransactionActionType.UpdateReplace => table.UpdateEntityAsync(change.Entity, change.ETag, TableUpdateMode.Replace, ct),
        TableTransactionActionType.UpdateMerge => table.UpdateEntityAsync(change.Entity, change.ETag, TableUpdateMode.Merge, ct),
        TableTransactionActionType.UpsertReplace => table.UpsertEntityAsync(change.Entity, TableUpdateMode.Replace, ct),
        TableTransactionActionType.UpsertMerge => table.UpsertEntityAsync(change.Entity, TableUpdateMode.Merge, ct),
        _ => throw new NotSupportedException($"The outbox writes changes, not {change.ActionType}."),
    };

    [LoggerMessage(LogLevel.Warning, "Event {EventId} ({EventType}) recorded but not yet dispatched ({Error}); the outbox sweep will dispatch it")]
    private partial void LogDispatchDeferred(string eventId, string eventType, string error);
}
