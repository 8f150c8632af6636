using AlpacaConnect.Core.Storage;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Outbox;

/// <summary>
/// The timer's safety net: events whose change committed but whose dispatch did not happen (the
/// process died in between, or the dispatcher failed) are dispatched here, in every registered table.
/// It finds them by key: the partitions the <see cref="WorkIndex"/> marks, and in each the pending
/// rows; so a run costs what is pending, not what was ever written.
/// </summary>
public sealed partial class OutboxSweep(EventOutbox outbox, WorkIndex index, IOptions<OutboxOptions> options, TimeProvider time, ILogger<OutboxSweep> logger)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var dispatched = 0;
        var cutoff = time.GetUtcNow() - Grace;
        foreach (var name in options.Value.Tables.Order())
        {
            var table = outbox.Table(name);
            await foreach (var mark in index.ListAsync(EventOutbox.PendingKind(name), ct))
            {
                var left = 0;
                await foreach (var row in PendingAsync(table, mark.RowKey, ct))
                {
                    var eventId = row.RowKey[EventOutbox.PendingPrefix.Length..];
                    var found = await table.GetEntityIfExistsAsync<TableEntity>(mark.RowKey, EventOutbox.RowPrefix + eventId, cancellationToken: ct);
                    if (!found.HasValue || found.Value!.GetBoolean(EventOutbox.Columns.Dispatched) == true)
                    {
                        // Dispatched (its writer's last step failed), or its event row is gone: nothing to send.
                        await table.DeleteEntityAsync(mark.RowKey, row.RowKey, Azure.ETag.All, ct);
                        continue;
                    }
                    var e = EventOutbox.FromRow(found.Value);
                    // Left for the next run to confirm (a failed dispatch keeps its pending row), so the mark stays.
                    left++;
                    if (e.Timestamp > cutoff)
                        continue; // probably being dispatched right now by its writer
                    await outbox.DispatchAsync(table, mark.RowKey, [e], ct);
                    dispatched++;
                }
                if (left == 0)
                    await index.TryRetireAsync(mark, ct);
            }
        }
        if (dispatched > 0)
            LogSwept(dispatched);
        return dispatched;
    }

    private static Azure.AsyncPageable<TableEntity> PendingAsync(TableClient table, string partitionKey, CancellationToken ct) =>
        table.QueryAsync<TableEntity>(TableKeys.WithPrefix(partitionKey, EventOutbox.PendingPrefix), select: ["RowKey"], cancellationToken: ct);

    [LoggerMessage(LogLevel.Warning, "Outbox sweep dispatched {Count} events left behind")]
    private partial void LogSwept(int count);
}
