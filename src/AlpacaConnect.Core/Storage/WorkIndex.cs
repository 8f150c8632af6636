using System.Globalization;
using AlpacaConnect.Core.Secrets;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Storage;

/// <summary>One entry of the <see cref="WorkIndex"/>: the row it names, and when it was written.</summary>
public sealed record WorkEntry(string Partition, string Row, DateTimeOffset WrittenAt, TableEntity Entity);

/// <summary>
/// Open work by key (open trades, undispatched events), in a table of its own that holds only open
/// work, so a background job reads what is open instead of filtering every row ever written (and
/// no query ever touches the big tables: Azurite answers every query by scanning its whole table).
/// An entry names a row of another table: partition = the kind and a shard (16, by the named
/// partition, so no one index partition takes every write), row = "{partition}~{row}". Producers add
/// the entry before the write that opens the work (a write-ahead: open work is never unindexed);
/// consumers remove it once the work is done, or find it done or never written (then remove it).
/// </summary>
public sealed class WorkIndex(Tables tables, TimeProvider time)
{
    public const int Shards = 16;
    private const string WrittenAt = "WrittenAt";
    /// <summary>Table storage's limit on the entities of one entity-group transaction.</summary>
    private const int MaxTransaction = 100;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GroupCommit<(string Partition, string Row), bool>> _groups = new(StringComparer.Ordinal);
    private int _nextShard;

    private TableClient Table => tables.Get(Tables.WorkIndex);

    /// <summary>Indexes <paramref name="rows"/> of one partition as open work of <paramref name="kind"/>, in one transaction.</summary>
    public async Task AddAsync(string kind, string partition, IReadOnlyCollection<string> rows, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var actions = rows.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
            new TableEntity(Shard(kind, partition), Key(partition, row)) { [WrittenAt] = now })).ToList();
        if (actions.Count == 1)
            await Table.UpsertEntityAsync(actions[0].Entity, TableUpdateMode.Replace, ct);
        else if (actions.Count > 1)
            await Table.SubmitTransactionAsync(actions, ct);
    }

    public Task AddAsync(string kind, string partition, string row, CancellationToken ct) => AddAsync(kind, partition, [row], ct);

    /// <summary>
    /// Indexes one row as open work of <paramref name="kind"/> by group commit: the entries that
    /// arrive while another write of the kind is on its way share the next transaction, in a shard
    /// taken in turn (not the partition's), so under load one storage call indexes many rows of many
    /// partitions. Such an entry can only be removed as read (<see cref="RemoveAsync(WorkEntry, CancellationToken)"/>).
    /// </summary>
    public Task AddGroupedAsync(string kind, string partition, string row, CancellationToken ct) =>
        _groups.GetOrAdd(kind, k => new GroupCommit<(string Partition, string Row), bool>(MaxTransaction, entries => WriteGroupAsync(k, entries)))
            .AddAsync((partition, row), ct);

    private async Task<bool> WriteGroupAsync(string kind, IReadOnlyList<(string Partition, string Row)> entries)
    {
        var now = time.GetUtcNow();
        var shard = ShardName(kind, (int)((uint)Interlocked.Increment(ref _nextShard) % Shards));
        var actions = entries.Distinct().Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
            new TableEntity(shard, Key(e.Partition, e.Row)) { [WrittenAt] = now })).ToList();
        if (actions.Count == 1)
            await Table.UpsertEntityAsync(actions[0].Entity, TableUpdateMode.Replace, CancellationToken.None);
        else
            await Table.SubmitTransactionAsync(actions, CancellationToken.None);
        return true;
    }

    /// <summary>Every entry of a kind: one key query per shard of the index's own (small) table.</summary>
    public async IAsyncEnumerable<WorkEntry> ListAsync(string kind, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var shard = 0; shard < Shards; shard++)
        {
            await foreach (var e in Table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShardName(kind, shard)}"), cancellationToken: ct))
            {
                var at = e.RowKey.IndexOf('~', StringComparison.Ordinal);
                yield return new WorkEntry(e.RowKey[..at], e.RowKey[(at + 1)..], e.GetDateTimeOffset(WrittenAt) ?? DateTimeOffset.MinValue, e);
            }
        }
    }

    /// <summary>Removes <paramref name="rows"/> of one partition from the index (those not there are fine).</summary>
    public async Task RemoveAsync(string kind, string partition, IReadOnlyCollection<string> rows, CancellationToken ct)
    {
        foreach (var row in rows)
            await Table.DeleteEntityAsync(Shard(kind, partition), Key(partition, row), ETag.All, ct);
    }

    /// <summary>Removes an entry as read, unless it was written again since (then its work is open again).</summary>
    public async Task RemoveAsync(WorkEntry entry, CancellationToken ct)
    {
        try
        {
            await Table.DeleteEntityAsync(entry.Entity.PartitionKey, entry.Entity.RowKey, entry.Entity.ETag, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
        }
    }

    private static string Key(string partition, string row) => $"{partition}~{row}";

    private static string Shard(string kind, string partition) =>
        ShardName(kind, int.Parse(Hashing.Sha256Hex(partition)[..4], NumberStyles.HexNumber, CultureInfo.InvariantCulture) % Shards);

    private static string ShardName(string kind, int shard) => $"{kind}~{shard:00}";
}
