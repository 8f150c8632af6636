using AlpacaConnect.Core.Storage;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Outbox;

/// <summary>
/// The timer's safety net: events whose change committed but whose dispatch did not happen (the
/// process died in between, or the dispatcher failed) are dispatched here, in every registered table.
/// It finds them by key: the work index's entries of undispatched events, each event row then read by
/// its key; so a run costs what is undispatched, not what was ever written.
/// </summary>
public sealed partial class OutboxSweep(EventOutbox outbox, WorkIndex index, IOptions<OutboxOptions> options, TimeProvider time, ILogger<OutboxSweep> logger)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    /// <summary>Far longer than a commit can take after its entries were written (the storage clients give up within minutes).</summary>
    private static readonly TimeSpan UnwrittenAfter = TimeSpan.FromMinutes(15);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var dispatched = 0;
        var now = time.GetUtcNow();
        var cutoff = now - Grace;
        foreach (var name in options.Value.Tables.Order())
        {
            var table = outbox.Table(name);
            await foreach (var entry in index.ListAsync(EventOutbox.PendingKind(name), ct))
            {
                var row = await table.GetEntityIfExistsAsync<TableEntity>(entry.Partition, EventOutbox.RowPrefix + entry.Row, cancellationToken: ct);
                if (row.HasValue ? row.Value!.GetBoolean(EventOutbox.Columns.Dispatched) == true : now - entry.WrittenAt > UnwrittenAfter)
                {
                    // Dispatched (its writer's last step failed), or its commit never happened: nothing to send.
                    await index.RemoveAsync(entry, ct);
                    continue;
                }
                if (!row.HasValue)
                    continue; // its commit may still be on its way
                var e = EventOutbox.FromRow(row.Value!);
                if (e.Timestamp > cutoff)
                    continue; // probably being dispatched right now by its writer
                await outbox.DispatchAsync(name, entry.Partition, [e], ct);
                dispatched++;
            }
        }
        if (dispatched > 0)
            LogSwept(dispatched);
        return dispatched;
    }

    [LoggerMessage(LogLevel.Warning, "Outbox sweep dispatched {Count} events left behind")]
    private partial void LogSwept(int count);
}
