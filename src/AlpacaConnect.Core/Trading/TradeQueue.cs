using AlpacaConnect.Core.Storage;

namespace AlpacaConnect.Core.Trading;

/// <summary>Puts trade executions on the trade-executions queue (base64, as the Functions trigger reads).</summary>
public sealed class TradeQueue(Queues queues)
{
    public async Task EnqueueAsync(TradeExecution message, TimeSpan? delay, CancellationToken ct) =>
        await queues.Get(Queues.TradeExecutions).SendMessageAsync(message.Serialize(), visibilityTimeout: delay, cancellationToken: ct);
}
