using System.Collections.Concurrent;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Hands an accepted trade to execution. When this process has a free inline slot
/// (Trading:InlineExecutions), the trade is executed here at once, after the caller has its answer,
/// and no queue message is written: the row and its open-work index entry, written together, are
/// the durable record of work to do. If the process dies or the attempt throws, the status sync
/// (a key read of that index) finds the trade accepted, unsent and overdue after
/// <see cref="TradingOptions.StaleAcceptedAfter"/> and queues it; that delivery looks the order up
/// before it sends, so it never places a second order. Saves every queue call and the polling
/// delay. Off in the Functions host, which may freeze a worker once a response is sent: there the
/// message is queued after the row is written, and trades accepted at the same time share one
/// message (<see cref="GroupedTradeQueue"/>). Either way a trade costs its insert and its replace,
/// plus a share of one index write (and on the queue, of one send and one delete).
/// </summary>
public sealed partial class TradeDispatch(
    TradeStore store,
    GroupedTradeQueue queue,
    TradeExecutor executor,
    IOptions<TradingOptions> options,
    ILogger<TradeDispatch> logger) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.InlineExecutions, Math.Max(1, options.Value.InlineExecutions));
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _draining;
    private int _disposed;

    /// <summary>
    /// Records the trade (one insert and its index entry; a used key answers the trade it names)
    /// and, once recorded, starts it here with a free slot, or queues it.
    /// </summary>
    public async Task<TradeStore.AcceptOutcome> AcceptAsync(TradeEntity trade, CancellationToken ct)
    {
        // Due at once either way: if no execution follows (a crash, a lost send), the sync queues it once overdue.
        trade.NextAttemptAt = trade.CreatedAt;
        var inline = !_draining && _slots.Wait(0, CancellationToken.None);
        TradeStore.AcceptOutcome outcome;
        try
        {
            outcome = await store.AcceptAsync(trade, ct);
        }
        catch
        {
            if (inline)
                _slots.Release();
            throw;
        }
        if (outcome is not TradeStore.Accepted accepted)
        {
            if (inline)
                _slots.Release();
        }
        else if (inline)
            Track(RunInlineAsync(TradeExecution.For(accepted.Trade) with { Inline = true }));
        else
            await QueueAsync(accepted.Trade, ct);
        return outcome;
    }

    private async Task QueueAsync(TradeEntity trade, CancellationToken ct)
    {
        try
        {
            await queue.SendAsync(TradeExecution.For(trade), delay: null, ct);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            // The trade is recorded; the status sync re-queues accepted trades that never reached Alpaca.
            LogEnqueueFailed(trade.TradeId, ex.Message);
        }
    }

    private async Task RunInlineAsync(TradeExecution message)
    {
        await Task.Yield(); // let the caller answer first
        try
        {
            await executor.ExecuteAsync(message, dequeueCount: 1, inline: true, _stopping.Token);
            AlpacaConnectTelemetry.CountInlineExecution("done");
        }
        catch (Exception ex)
        {
            // Nothing is lost: the row is indexed and due, so the status sync queues it once overdue.
            AlpacaConnectTelemetry.CountInlineExecution("handed-to-sync");
            LogHandedToSync(message.TradeId, ex.Message);
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

    /// <summary>Lets inline executions finish while the host allows; past that they are canceled and the status sync takes over.</summary>
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

    [LoggerMessage(LogLevel.Warning, "Inline execution of trade {TradeId} did not finish ({Error}); the status sync queues it once it is overdue")]
    private partial void LogHandedToSync(string tradeId, string error);
}
