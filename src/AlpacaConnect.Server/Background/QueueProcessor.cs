using AlpacaConnect.Core.Telemetry;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace AlpacaConnect.Server.Background;

/// <summary>Timings of the Server's queue runner; the defaults mirror host.json.</summary>
public sealed class QueueRunnerOptions
{
    public const string Section = "Server:Queues";

    /// <summary>How long a received message stays invisible while it is handled.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed message waits before its next delivery (host.json visibilityTimeout).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>How the Server drains one queue, with the Functions queue trigger's semantics.</summary>
public sealed record QueueBinding(
    string Name,
    Func<IServiceProvider, string, long, CancellationToken, Task> Handle,
    Func<IServiceProvider, string, CancellationToken, Task> HandlePoison);

/// <summary>
/// The Functions queue trigger, self-hosted: batches of messages, handled in parallel; deleted on
/// success; on an exception made visible again after a delay; after MaxDequeueCount deliveries moved
/// to the "-poison" twin, whose handler then settles what it was about.
/// </summary>
public sealed partial class QueueProcessor(
    QueueClient queue,
    QueueClient poison,
    QueueBinding binding,
    IServiceProvider services,
    int maxDequeueCount,
    QueueRunnerOptions timings,
    ILogger<QueueProcessor> logger) : BackgroundService
{
    private const int BatchSize = 32;
    private const int Parallelism = 16;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(DrainAsync(queue, ProcessAsync, stoppingToken), DrainAsync(poison, ProcessPoisonAsync, stoppingToken));
    }

    private async Task DrainAsync(QueueClient source, Func<QueueMessage, CancellationToken, Task> process, CancellationToken ct)
    {
        var idle = TimeSpan.FromMilliseconds(50);
        while (!ct.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await source.ReceiveMessagesAsync(BatchSize, timings.VisibilityTimeout, ct)).Value;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException)
            {
                LogReceiveFailed(source.Name, ex.Message);
                await DelayAsync(timings.MaxPollingInterval, ct);
                continue;
            }

            if (messages.Length == 0)
            {
                // Back off like the Functions host does (up to maxPollingInterval) when the queue is empty.
                await DelayAsync(idle, ct);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, timings.MaxPollingInterval.Ticks));
                continue;
            }
            idle = TimeSpan.FromMilliseconds(50);
            await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
                async (message, token) => await process(message, token));
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken ct)
    {
        AlpacaConnectTelemetry.RecordQueueAge(binding.Name, message.InsertedOn, DateTimeOffset.UtcNow);
        try
        {
            await binding.Handle(services, message.MessageText, message.DequeueCount, ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (message.DequeueCount >= maxDequeueCount)
            {
                LogPoisoned(queue.Name, message.MessageId, message.DequeueCount, ex.Message);
                await poison.SendMessageAsync(message.MessageText, cancellationToken: ct);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            }
            else
            {
                LogFailed(queue.Name, message.MessageId, message.DequeueCount, ex.Message);
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: timings.RetryDelay, cancellationToken: ct);
            }
        }
    }

    private async Task ProcessPoisonAsync(QueueMessage message, CancellationToken ct)
    {
        try
        {
            await binding.HandlePoison(services, message.MessageText, ct);
            await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // A poison message whose handler fails stays in the poison queue, visible to operators.
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
}
