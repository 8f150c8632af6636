using System.Collections.Concurrent;
using AlpacaConnect.Core.Telemetry;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Hands an accepted trade to execution. The queue message is always written: it is the durable
/// record of work to do. When this process has a free inline slot (Trading:InlineExecutions), the
/// message is written invisible for <see cref="TradingOptions.InlineHold"/> and the trade is
/// executed here at once, then the message is deleted with the pop receipt the send returned. If
/// the process dies or the attempt throws, the message surfaces after the hold and the queue
/// trigger finishes the job; the message says an inline attempt may have sent the order, so that
/// delivery looks the order up first. Saves the dequeue round trip and the polling delay, and keeps
/// the queue short. Off in the Functions host, which may freeze a worker once a response is sent.
/// </summary>
public sealed partial class TradeDispatch(
    TradeQueue queue,
    TradeExecutor executor,
    IOptions<TradingOptions> options,
    ILogger<TradeDispatch> logger) : IHostedService, IDisposable
{
    private readonly TradingOptions _options = options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.InlineExecutions, Math.Max(1, options.Value.InlineExecutions));
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _draining;
    private int _disposed;

    /// <summary>Queues the trade and, when a slot is free, starts it here.</summary>
    public async Task DispatchAsync(TradeEntity trade, CancellationToken ct)
    {
        var inline = !_draining && _slots.Wait(0, CancellationToken.None);
        var message = TradeExecution.For(trade) with { Inline = inline };
        SendReceipt receipt;
        try
        {
            receipt = await queue.EnqueueAsync(message, inline ? _options.InlineHold : null, ct);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            if (inline)
                _slots.Release();
            // The trade is recorded; the status sync re-queues accepted trades that never reached Alpaca.
            LogEnqueueFailed(trade.TradeId, ex.Message);
            return;
        }
        if (inline)
            Track(RunInlineAsync(message, receipt));
    }

    private async Task RunInlineAsync(TradeExecution message, SendReceipt receipt)
    {
        await Task.Yield(); // let the caller answer first
        try
        {
            await executor.ExecuteAsync(message, dequeueCount: 1, inline: true, _stopping.Token);
            await queue.DeleteAsync(receipt, _stopping.Token);
            AlpacaConnectTelemetry.CountInlineExecution("done");
        }
        catch (Exception ex)
        {
            // Nothing is lost: the message surfaces after the hold and the queue trigger takes over.
            AlpacaConnectTelemetry.CountInlineExecution("handed-to-queue");
            LogHandedToQueue(message.TradeId, ex.Message, _options.InlineHold.TotalSeconds);
        }
        finally
        {
            _slots.Release();
        }
    }

    private void Track(Task task)
    {
        _running.TryAdd(task, 0);
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Lets inline executions finish while the host allows; past that they are canceled and the queue takes over.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync();
        }
    }

    public void Dispose()
    {
        // Registered as itself and as a hosted service, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _stopping.Cancel();
        _stopping.Dispose();
        _slots.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Trade {TradeId} recorded but not queued ({Error}); the status sync will queue it")]
    private partial void LogEnqueueFailed(string tradeId, string error);

    [LoggerMessage(LogLevel.Warning, "Inline execution of trade {TradeId} did not finish ({Error}); its queue message takes over in {HoldSeconds:0} s")]
    private partial void LogHandedToQueue(string tradeId, string error, double holdSeconds);
}
