using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Outbox;

/// <summary>
/// The timer's safety net: events whose change committed but whose dispatch did not happen (the
/// process died in between, or the dispatcher failed) are dispatched here, in every registered table.
/// </summary>
public sealed partial class OutboxSweep(EventOutbox outbox, IOptions<OutboxOptions> options, TimeProvider time, ILogger<OutboxSweep> logger)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var dispatched = 0;
        var cutoff = time.GetUtcNow() - Grace;
        foreach (var name in options.Value.Tables.Order())
        {
            var table = outbox.Table(name);
            await foreach (var row in table.QueryAsync<TableEntity>(e => e.GetBoolean(EventOutbox.Columns.Dispatched) == false, cancellationToken: ct))
            {
                var e = EventOutbox.FromRow(row);
                if (e.Timestamp > cutoff)
                    continue; // probably being dispatched right now by its writer
                await outbox.DispatchAsync(table, row.PartitionKey, [e], ct);
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
