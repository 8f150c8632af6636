using System.Globalization;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Schedules;

/// <summary>A row of the due-time index: partition = the minute it falls due in (UTC), row = the schedule id.</summary>
public sealed class DueRow : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public DateTimeOffset DueAt { get; set; }
}

/// <summary>
/// Schedules and their due-time index. The index (<see cref="Tables.ScheduleDue"/>) lets the timer
/// read only what is due: one range query over the minute buckets up to now, whatever the number of
/// schedules. It lives in another table than the schedules (another partition key), so it cannot
/// share their transaction; it is kept self-healing instead: a schedule's new index row is written
/// before the schedule points at it, and its old row is deleted (ETag-conditional) only after, so a
/// schedule is never missing from the index; a row whose schedule points elsewhere is stale, and the
/// timer drops it when it reads it.
/// </summary>
public sealed class ScheduleStore(Tables tables, EventOutbox outbox)
{
    private TableClient Schedules => tables.Get(Tables.Schedules);
    private TableClient Due => tables.Get(Tables.ScheduleDue);

    public static string Bucket(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    public async Task<ScheduleEntity?> GetAsync(string userId, string rowKey, CancellationToken ct)
    {
        var found = await Schedules.GetEntityIfExistsAsync<ScheduleEntity>(userId, rowKey, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    public async Task<List<ScheduleEntity>> ListAsync(string userId, string? env, CancellationToken ct)
    {
        var list = new List<ScheduleEntity>();
        var filter = env is null ? TableClient.CreateQueryFilter($"PartitionKey eq {userId}") : TableClient.CreateQueryFilter($"PartitionKey eq {userId} and Env eq {env}");
        await foreach (var row in Schedules.QueryAsync<ScheduleEntity>(filter, cancellationToken: ct))
            if (!row.RowKey.StartsWith(EventOutbox.RowPrefix, StringComparison.Ordinal))
                list.Add(row);
        return list;
    }

    /// <summary>A new schedule: its index row first, then the schedule itself.</summary>
    public async Task AddAsync(ScheduleEntity schedule, CancellationToken ct)
    {
        await IndexAsync([schedule], ct);
        await Schedules.AddEntityAsync(schedule, ct);
    }

    /// <summary>
    /// Replaces the schedule if nobody changed it since it was read (its ETag), with its events; the
    /// index row for its next run is written first. False when another writer got there first.
    /// </summary>
    public async Task<bool> TryReplaceAsync(ScheduleEntity schedule, IEnumerable<DomainEvent> events, CancellationToken ct)
    {
        await IndexAsync([schedule], ct);
        return await TryCommitAsync(schedule, events, ct);
    }

    /// <summary>The ETag-conditional write alone (its index row already written, <see cref="IndexAsync"/>).</summary>
    internal async Task<bool> TryCommitAsync(ScheduleEntity schedule, IEnumerable<DomainEvent> events, CancellationToken ct)
    {
        try
        {
            schedule.ETag = await outbox.CommitAsync(Tables.Schedules, new TableTransactionAction(TableTransactionActionType.UpdateReplace, schedule, schedule.ETag), events, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(ScheduleEntity schedule, CancellationToken ct)
    {
        try
        {
            await Schedules.DeleteEntityAsync(schedule.PartitionKey, schedule.RowKey, schedule.ETag, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Index rows due by <paramref name="now"/>: one range query over the buckets up to now's (processed rows are deleted, so the range holds only what is due or stale).</summary>
    public async Task<List<DueRow>> DueAsync(DateTimeOffset now, CancellationToken ct)
    {
        var rows = new List<DueRow>();
        await foreach (var row in Due.QueryAsync<DueRow>(TableClient.CreateQueryFilter($"PartitionKey le {Bucket(now)}"), maxPerPage: 1000, cancellationToken: ct))
            if (row.DueAt <= now)
                rows.Add(row);
        return rows;
    }

    /// <summary>Upserts the index rows of the schedules' next runs, in entity-group batches per bucket (up to 100 rows each).</summary>
    internal async Task IndexAsync(IEnumerable<ScheduleEntity> schedules, CancellationToken ct)
    {
        var rows = schedules.Where(s => s.NextRunAt is not null)
            .Select(s => new DueRow { PartitionKey = Bucket(s.NextRunAt!.Value), RowKey = s.Id, DueAt = s.NextRunAt.Value });
        foreach (var batch in rows.GroupBy(r => r.PartitionKey).SelectMany(g => g.Chunk(100)))
        {
            if (batch.Length == 1)
                await Due.UpsertEntityAsync(batch[0], TableUpdateMode.Replace, ct);
            else
                await Due.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct);
        }
    }

    /// <summary>
    /// Deletes index rows that are done with, each only if unchanged since read (a row rewritten
    /// meanwhile is someone's live pointer). Batched per bucket; a batch refused for one row is
    /// retried row by row.
    /// </summary>
    internal async Task UnindexAsync(IEnumerable<DueRow> rows, CancellationToken ct)
    {
        foreach (var batch in rows.GroupBy(r => r.PartitionKey).SelectMany(g => g.Chunk(100)))
        {
            try
            {
                if (batch.Length > 1)
                {
                    await Due.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, r.ETag)), ct);
                    continue;
                }
            }
            catch (TableTransactionFailedException)
            {
            }
            foreach (var row in batch)
            {
                try
                {
                    await Due.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, ct);
                }
                catch (RequestFailedException ex) when (ex.Status is 412 or 404)
                {
                }
            }
        }
    }

    /// <summary>Removes a schedule's index row for its current next run, if it has one (pause, delete); a left-over row is only stale.</summary>
    internal async Task UnindexCurrentAsync(ScheduleEntity schedule, CancellationToken ct)
    {
        if (schedule.NextRunAt is { } at)
            await Due.DeleteEntityAsync(Bucket(at), schedule.Id, ETag.All, ct);
    }
}
