using AlpacaConnect.Core.Storage;
using Azure.Storage.Queues.Models;

namespace AlpacaConnect.Core.Trading;

/// <summary>Puts trade executions on the trade-executions queue (base64, as the Functions trigger reads).</summary>
public sealed class TradeQueue(Queues queues)
{
    /// <param name="delay">How long the message stays invisible: a retry's wait, or an inline execution's hold.</param>
    public Task<SendReceipt> EnqueueAsync(TradeExecution message, TimeSpan? delay, CancellationToken ct) =>
        SendAsync(message.Serialize(), delay, ct);

    /// <summary>Sends a serialized message: one trade's, or a group's (<see cref="GroupedTradeQueue"/>).</summary>
    public async Task<SendReceipt> SendAsync(string text, TimeSpan? delay, CancellationToken ct) =>
        await queues.Get(Queues.TradeExecutions).SendMessageAsync(text, visibilityTimeout: delay, cancellationToken: ct);

    /// <summary>Removes a message this process sent and handled itself (the receipt's pop receipt proves it is ours).</summary>
    public async Task DeleteAsync(SendReceipt receipt, CancellationToken ct) =>
        await queues.Get(Queues.TradeExecutions).DeleteMessageAsync(receipt.MessageId, receipt.PopReceipt, ct);
}
