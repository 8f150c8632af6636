using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AlpacaConnect.Core.Secrets;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>NCRONTAB (with seconds) of the retention timer, on both hosts.</summary>
    [Required]
    public string Schedule { get; set; } = "0 5 * * * *";

    /// <summary>How long a dispatched outbox row is kept.</summary>
    public TimeSpan OutboxAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a webhook delivery log row is kept.</summary>
    public TimeSpan DeliveriesAfter { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// How the owner of a table purges one of its partitions: it deletes what is older than its own
/// setting there, by a key range (its row keys sort by time), and returns how many rows went.
/// </summary>
public sealed record RetentionRule(string Table, Func<TableClient, string, DateTimeOffset, CancellationToken, Task<int>> PurgeAsync);

/// <summary>
/// What may be deleted, and from when: one row each in partition "due", row key = the time it may
/// go, then a hash of what it names; so the timer reads exactly the entries that are due, by key.
/// Entries are written before what they name (a write-ahead: nothing is written that no entry will
/// ever remove). An entry names a row (an OAuth state, a connect link: deleted as such) or a
/// partition (its owner's <see cref="RetentionRule"/> purges what is old in it).
/// </summary>
public sealed class RetentionIndex(Tables tables, TimeProvider time)
{
    private const string Due = "due";
    private readonly ConcurrentDictionary<(string Table, string Partition), DateTimeOffset> _scheduled = new();

    internal TableClient Table => tables.Get(Tables.Retention);

    /// <summary>The row goes at <paramref name="at"/> (e.g. its expiry).</summary>
    public Task ScheduleRowAsync(string table, string partitionKey, string rowKey, DateTimeOffset at, CancellationToken ct) =>
        WriteAsync(table, partitionKey, rowKey, at, ct);

    /// <summary>
    /// The partition gets new rows that may go <paramref name="keep"/> from now: one entry per
    /// partition per <paramref name="keep"/> (at most an hour) and process, since a purge takes
    /// everything old enough at the time it runs.
    /// </summary>
    public async ValueTask SchedulePartitionAsync(string table, string partitionKey, TimeSpan keep, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var period = keep < TimeSpan.FromHours(1) ? keep : TimeSpan.FromHours(1);
        if (_scheduled.TryGetValue((table, partitionKey), out var at) && now - at < period)
            return;
        // An hour later than the rows' own age, so the entry of the period's last rows covers them too.
        await WriteAsync(table, partitionKey, null, now + keep + period, ct);
        if (_scheduled.Count >= 100_000)
            _scheduled.Clear();
        _scheduled[(table, partitionKey)] = now;
    }

    /// <summary>Entries due by <paramref name="now"/>, oldest first.</summary>
    internal AsyncPageable<TableEntity> DueAsync(DateTimeOffset now, CancellationToken ct) =>
        Table.QueryAsync<TableEntity>(TableKeys.Between(Due, "", Stamp(now) + "~"), cancellationToken: ct);

    private async Task WriteAsync(string table, string partitionKey, string? rowKey, DateTimeOffset at, CancellationToken ct) =>
        await Table.UpsertEntityAsync(new TableEntity(Due, $"{Stamp(at)}~{Hashing.Sha256Hex($"{table}\n{partitionKey}\n{rowKey}")[..16]}")
        {
            ["Table"] = table,
            ["Partition"] = partitionKey,
            ["Row"] = rowKey,
        }, TableUpdateMode.Replace, ct);

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
}

/// <summary>What one retention run deleted.</summary>
public sealed record RetentionReport(int Entries, int RowsDeleted);

/// <summary>
/// The retention timer: reads the due entries of the <see cref="RetentionIndex"/>, deletes what each
/// names, then the entry. Its cost follows what it deletes. Tables with no rule (trades among them)
/// are never purged by it.
/// </summary>
public sealed partial class RetentionSweep(RetentionIndex index, Tables tables, IEnumerable<RetentionRule> rules, TimeProvider time, ILogger<RetentionSweep> logger)
{
    private readonly Dictionary<string, RetentionRule> _rules = rules.ToDictionary(r => r.Table);

    public async Task<RetentionReport> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        int entries = 0, deleted = 0;
        await foreach (var entry in index.DueAsync(now, ct))
        {
            var (table, partition, row) = (entry.GetString("Table"), entry.GetString("Partition"), entry.GetString("Row"));
            if (row is not null)
            {
                var response = await tables.Get(table).DeleteEntityAsync(partition, row, ETag.All, ct);
                deleted += response.Status == 404 ? 0 : 1;
            }
            else if (_rules.TryGetValue(table, out var rule))
                deleted += await rule.PurgeAsync(tables.Get(table), partition, now, ct);
            await index.Table.DeleteEntityAsync(entry.PartitionKey, entry.RowKey, ETag.All, ct);
            entries++;
        }
        LogRun(entries, deleted);
        return new RetentionReport(entries, deleted);
    }

    /// <summary>Deletes <paramref name="rows"/> (one partition) in entity-group transactions of 100; how many went.</summary>
    public static async Task<int> DeleteAllAsync(TableClient table, AsyncPageable<TableEntity> rows, CancellationToken ct)
    {
        var deleted = 0;
        var batch = new List<TableTransactionAction>(100);
        await foreach (var row in rows)
        {
            batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All));
            if (batch.Count == 100)
                deleted += await SubmitAsync(table, batch, ct);
        }
        if (batch.Count > 0)
            deleted += await SubmitAsync(table, batch, ct);
        return deleted;
    }

    private static async Task<int> SubmitAsync(TableClient table, List<TableTransactionAction> batch, CancellationToken ct)
    {
        var count = batch.Count;
        await table.SubmitTransactionAsync(batch, ct);
        batch.Clear();
        return count;
    }

    /// <summary>The smallest row-key text of an id made (UUIDv7, as event ids are) at <paramref name="at"/>: ids before it are older.</summary>
    public static string Version7Floor(DateTimeOffset at) => at.ToUnixTimeMilliseconds().ToString("x12", CultureInfo.InvariantCulture);

    [LoggerMessage(LogLevel.Information, "Retention: {Entries} entries due, {RowsDeleted} rows deleted")]
    private partial void LogRun(int entries, int rowsDeleted);
}
