using Azure.Data.Tables;
using AlpacaConnect.Core.Storage;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>
/// The timer's safety net for webhooks: events whose change committed but whose fan-out did not
/// happen (the process died in between) are dispatched here, with the current subscriptions.
/// </summary>
public sealed partial class OutboxSweep(Tables tables, WebhookPublisher publisher, TimeProvider time, ILogger<OutboxSweep> logger)
{
    /// <summary>Tables whose partitions carry outbox rows next to the rows they describe.</summary>
    private static readonly string[] OutboxTables = [Tables.Connections, Tables.Trades];
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var dispatched = 0;
        var cutoff = time.GetUtcNow() - Grace;
        foreach (var name in OutboxTables)
        {
            var table = tables.Get(name);
            await foreach (var row in table.QueryAsync<TableEntity>(e => e.GetBoolean("Dispatched") == false, cancellationToken: ct))
            {
                var e = WebhookEvent.FromOutboxRow(row);
                if (e.Timestamp > cutoff)
                    continue; // probably being dispatched right now by its writer
                var pending = await publisher.PrepareAsync(row.PartitionKey, [e], ct);
                if (pending.Count > 0)
                    await publisher.DispatchAsync(table, [pending[0] with { OutboxRow = row }], ct);
                else // its subscriptions are gone
                    await table.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["Dispatched"] = true }, Azure.ETag.All, TableUpdateMode.Merge, ct);
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
