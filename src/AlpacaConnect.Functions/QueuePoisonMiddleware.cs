using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Core.Webhooks;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Functions;

/// <summary>
/// Each queue's own dequeue count under the Functions host. The host has one maxDequeueCount for every
/// queue (host.json); the app lets a queue poison sooner (Trading:MaxDequeueCount,
/// Webhooks:MaxDequeueCount, never above host.json's): when a delivery with that number fails, the
/// message is put on the queue's poison twin as stored, as the host would, and the invocation
/// completes, so the host deletes the original. At host.json's count the host does it itself.
/// The Server's runner applies the same counts (Server/Background/QueueProcessor).
/// </summary>
internal sealed partial class QueuePoisonMiddleware(
    Queues queues,
    IOptions<QueueSettings> settings,
    IOptions<TradingOptions> trading,
    IOptions<WebhookOptions> webhooks,
    IOptions<SignalOptions> signals,
    ILogger<QueuePoisonMiddleware> logger) : IFunctionsWorkerMiddleware
{
    /// <summary>Queue triggers of work queues; a poison queue's handler is never poisoned again.</summary>
    public static bool Applies(FunctionContext context) =>
        QueueTrigger.Of(context) is { } trigger && !trigger.Queue.EndsWith(Queues.PoisonSuffix, StringComparison.Ordinal);

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.CancellationToken.IsCancellationRequested
            && QueueTrigger.Of(context) is { } trigger
            && QueueTrigger.DequeueCount(context) is { } count
            && count >= MaxDequeueCount(trigger.Queue) && count < settings.Value.MaxDequeueCount)
        {
            // messageEncoding "none": the bound text is the message as stored, so the poison copy is byte for byte the original.
            var stored = (await context.BindInputAsync<string>(trigger.Binding)).Value ?? "";
            await queues.Undecoded(trigger.Queue + Queues.PoisonSuffix).SendMessageAsync(stored, context.CancellationToken);
            LogPoisoned(trigger.Queue, QueueTrigger.MessageId(context) ?? "?", count, ex.Message);
        }
    }

    private int MaxDequeueCount(string queue) => queue switch
    {
        Queues.TradeExecutions => trading.Value.MaxDequeueCount,
        Queues.WebhookDeliveries => webhooks.Value.MaxDequeueCount,
        Queues.SignalFanOuts => signals.Value.MaxDequeueCount,
        _ => settings.Value.MaxDequeueCount,
    };

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Queue} moved to poison after {DequeueCount} deliveries: {Error}")]
    private partial void LogPoisoned(string queue, string messageId, long dequeueCount, string error);
}
