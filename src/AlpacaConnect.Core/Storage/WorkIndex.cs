using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// Which partitions may hold open work of a kind (open trades, undispatched events), so a background
/// job reads a few keys instead of filtering every row ever written. A mark is one row: partition =
/// the kind, row = the partition it names. Producers mark before the write that opens work (a
/// write-ahead, so no open work is ever unmarked); consumers retire a mark when its partition has no
/// open work left and the mark is old.
/// </summary>
/// <remarks>
/// Marking is cached per process for <see cref="Refresh"/>, so a busy partition costs one upsert a
/// minute, not one per write. A mark is retired only <see cref="RetireAfter"/> after its last write and
/// only if unchanged since read (ETag): work written under a cached mark was issued at most
/// <see cref="Refresh"/> after that write, and becomes visible long before the hour is up (the storage
/// clients give up on a request within minutes), so the consumer's look at the partition sees it.
/// </remarks>
public sealed class WorkIndex(Tables tables, TimeProvider time)
{
    public static readonly TimeSpan Refresh = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan RetireAfter = TimeSpan.FromHours(1);
    private const string MarkedAt = "MarkedAt";
    private const int CacheLimit = 100_000;

    private readonly ConcurrentDictionary<(string Kind, string Partition), DateTimeOffset> _marked = new();

    private TableClient Table => tables.Get(Tables.WorkIndex);

    /// <summary>Notes that <paramref name="partition"/> may hold work of <paramref name="kind"/>; call it before the write that opens the work.</summary>
    public async ValueTask MarkAsync(string kind, string partition, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_marked.TryGetValue((kind, partition), out var at) && now - at < Refresh)
            return;
        await Table.UpsertEntityAsync(new TableEntity(kind, partition) { [MarkedAt] = now }, TableUpdateMode.Replace, ct);
        if (_marked.Count >= CacheLimit)
            foreach (var (key, when) in _marked)
                if (now - when >= Refresh)
                    _marked.TryRemove(key, out _);
        // The time before the write: the cache never outlives the mark it stands for.
        _marked[(kind, partition)] = now;
    }

    /// <summary>The marks of a kind: one key-range read of its partition.</summary>
    public AsyncPageable<TableEntity> ListAsync(string kind, CancellationToken ct) =>
        Table.QueryAsync<TableEntity>(e => e.PartitionKey == kind, cancellationToken: ct);

    /// <summary>
    /// Removes a mark whose partition the caller found without open work, if the mark is at least
    /// <see cref="RetireAfter"/> old and unchanged since it was read. True when removed.
    /// </summary>
    public async Task<bool> TryRetireAsync(TableEntity mark, CancellationToken ct)
    {
        if (mark.GetDateTimeOffset(MarkedAt) is not { } at || time.GetUtcNow() - at < RetireAfter)
            return false;
        try
        {
            await Table.DeleteEntityAsync(mark.PartitionKey, mark.RowKey, mark.ETag, ct);
            _marked.TryRemove((mark.PartitionKey, mark.RowKey), out _);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }
}
