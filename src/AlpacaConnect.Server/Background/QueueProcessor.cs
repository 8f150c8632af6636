using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Telemetry;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace AlpacaConnect.Server.Background;

/// <summary>
/// What only the Server's runner has. Everything else (poll interval, batch size, retry delay, dequeue
/// count) comes from host.json, as the Functions host reads it (<see cref="QueueSettings"/>).
/// </summary>
public sealed class QueueRunnerOptions
{
    public const string Section = "Server:Queues";

    /// <summary>
    /// How long a received message stays invisible while it is handled. The Functions host has no
    /// setting for it (it takes a 10-minute lease and renews it); host.json's visibilityTimeout is
    /// the delay after a failure, <see cref="QueueSettings.VisibilityTimeout"/>.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>How the Server drains one queue, with the Functions queue trigger's semantics.</summary>
/// <param name="Handle">(services, text, dequeue count, ct).</param>
/// <param name="HandlePoison">(services, text, message id, ct).</param>
public sealed record QueueBinding(
    string Name,
    Func<IServiceProvider, string, long, CancellationToken, Task> Handle,
    Func<IServiceProvider, string, string, CancellationToken, Task> HandlePoison);

/// <summary>
/// The Functions queue trigger, self-hosted, with host.json's settings (<see cref="QueueSettings"/>):
/// batches of batchSize messages, at most batchSize + newBatchThreshold handled at once; deleted on
/// success; on an exception made visible again after visibilityTimeout; after this queue's own
/// maxDequeueCount deliveries (at most host.json's) moved to the "-poison" twin, whose handler then settles what it was about. Messages are received as
/// stored and decoded here (base64), one by one: a message that is not base64 goes to the poison
/// queue at once without a delivery, as the Functions host does, instead of failing the whole receive.
/// </summary>
/// <param name="queue">The queue (decoding client), for sending and settling.</param>
/// <param name="received">The same queue without decoding (<see cref="Queues.Undecoded"/>), for receiving.</param>
public sealed partial class QueueProcessor(
    QueueClient queue,
    QueueClient poison,
    QueueClient received,
    QueueClient poisonReceived,
    QueueBinding binding,
    IServiceProvider services,
    int maxDequeueCount,
    QueueSettings settings,
    QueueRunnerOptions runner,
    ILogger<QueueProcessor> logger) : BackgroundService
{

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(DrainAsync(received, ProcessAsync, stoppingToken), DrainAsync(poisonReceived, ProcessPoisonAsync, stoppingToken));
    }

    /// <summary>
    /// A pipeline, not batch-by-batch: whenever handler slots are free, receive up to that many
    /// messages, so one slow message never holds back the next batch.
    /// </summary>
    private async Task DrainAsync(QueueClient source, Func<QueueMessage, CancellationToken, Task> process, CancellationToken ct)
    {
        var slots = new SemaphoreSlim(settings.MaxInFlight, settings.MaxInFlight);
        var running = new List<Task>();
        var idle = TimeSpan.FromMilliseconds(50);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var free = 1;
            while (free < settings.BatchSize && slots.Wait(0, CancellationToken.None))
                free++;

            QueueMessage[] messages;
            try
            {
                messages = (await source.ReceiveMessagesAsync(free, runner.VisibilityTimeout, ct)).Value;
            }
            catch (Exception ex) when (ex is OperationCanceledException or Azure.RequestFailedException or HttpRequestException)
            {
                slots.Release(free);
                if (ct.IsCancellationRequested)
                    break;
                LogReceiveFailed(source.Name, ex.Message);
                await DelayAsync(settings.MaxPollingInterval, ct);
                continue;
            }

            if (free > messages.Length)
                slots.Release(free - messages.Length);
            if (messages.Length == 0)
            {
                // Back off like the Functions host does (up to maxPollingInterval) when the queue is empty.
                await DelayAsync(idle, ct);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }
            idle = TimeSpan.FromMilliseconds(50);
            running.RemoveAll(t => t.IsCompleted);
            foreach (var message in messages)
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await process(message, ct);
                    }
                    catch (Exception) when (ct.IsCancellationRequested)
                    {
                        // Shutting down: the message becomes visible again after its timeout.
                    }
                    catch (Exception ex)
                    {
                        // Even settling a failure failed (storage down): the message reappears after its
                        // visibility timeout; say so now rather than at shutdown.
                        LogFailed(source.Name, message.MessageId, message.DequeueCount, ex.Message);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
        }
        await Task.WhenAll(running);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken ct)
    {
        AlpacaConnectTelemetry.RecordQueueAge(binding.Name, message.InsertedOn, DateTimeOffset.UtcNow);
        if (!Queues.TryDecode(message.MessageText, out var text))
        {
            // It will never decode: no delivery, no retries. The poison handler gets it as it was stored.
            LogUndecodable(queue.Name, message.MessageId, message.MessageText.Length, poison.Name);
            await poison.SendMessageAsync(message.MessageText, cancellationToken: ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            return;
        }
        try
        {
            await binding.Handle(services, text, message.DequeueCount, ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (message.DequeueCount >= maxDequeueCount)
            {
                LogPoisoned(queue.Name, message.MessageId, message.DequeueCount, ex.Message);
                await poison.SendMessageAsync(text, cancellationToken: ct);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            }
            else
            {
                LogFailed(queue.Name, message.MessageId, message.DequeueCount, ex.Message);
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: ct);
            }
        }
    }

    private async Task ProcessPoisonAsync(QueueMessage message, CancellationToken ct)
    {
        AlpacaConnectTelemetry.RecordQueueAge(binding.Name + Queues.PoisonSuffix, message.InsertedOn, DateTimeOffset.UtcNow);
        try
        {
            // Not base64 (written there by something else): the handler gets it as stored, unreadable either way.
            await binding.HandlePoison(services, Queues.AsText(message.MessageText), message.MessageId, ct);
            await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // A poison message whose handler fails stays in the poison queue (visible again after its
            // timeout) and is handled again then.
            LogFailed(poison.Name, message.MessageId, message.DequeueCount, ex.Message);
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(LogLevel.Warning, "Receiving from {Queue} failed: {Error}")]
    private partial void LogReceiveFailed(string queue, string error);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} failed on delivery {DequeueCount}: {Error}")]
    private partial void LogFailed(string queue, string messageId, long dequeueCount, string error);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Queue} moved to poison after {DequeueCount} deliveries: {Error}")]
    private partial void LogPoisoned(string queue, string messageId, long dequeueCount, string error);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Queue} is not base64 ({Length} chars) and never will be; moved to {PoisonQueue} without a delivery")]
    private partial void LogUndecodable(string queue, string messageId, int length, string poisonQueue);
}
