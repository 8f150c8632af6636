using System.Collections.Concurrent;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Hands an accepted trade to execution. A queue message is always written: it is the durable
/// record of work to do. When this process has a free inline slot (Trading:InlineExecutions), the
/// message is a reference to the trade's row, written invisible for <see cref="TradingOptions.InlineHold"/>
/// while the row itself is written (it names the trade only, so it can go first), and the trade is
/// executed here at once; then the message is deleted with the pop receipt the send returned. If
/// the process dies or the attempt throws, the message surfaces after the hold and the queue
/// trigger finishes the job: it reads the row and looks the order up first. Saves the dequeue round
/// trip and the polling delay, keeps the queue short, and the accept answers after one storage
/// round trip's time instead of two. Off in the Functions host, which may freeze a worker once a
/// response is sent; there the full message is queued after the row is written. Either way trades
/// accepted at the same time share one message (<see cref="GroupedTradeQueue"/>): under load a
/// trade costs its insert and its replace, plus a share of one send and one delete.
/// </summary>
public sealed partial class TradeDispatch(
    TradeStore store,
    GroupedTradeQueue queue,
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

    /// <summary>
    /// Records the trade (one insert; a used key answers the trade it names) and, once recorded,
    /// queues it and, with a free slot, starts it here.
    /// </summary>
    public async Task<TradeStore.AcceptOutcome> AcceptAsync(TradeEntity trade, CancellationToken ct)
    {
        var handover = Begin(trade, ct);
        TradeStore.AcceptOutcome outcome;
        try
        {
            outcome = await store.AcceptAsync(trade, ct);
        }
        catch
        {
            await AbandonAsync(handover);
            throw;
        }
        if (outcome is TradeStore.Accepted accepted)
            await DispatchAsync(handover, accepted.Trade, ct);
        else
            await AbandonAsync(handover);
        return outcome;
    }

    /// <summary>A trade on its way to execution: with an inline slot, its held reference is being sent.</summary>
    private sealed record Handover(Task<SentGroup>? Held);

    /// <summary>
    /// Before the row is written: takes an inline slot if one is free and starts sending the held
    /// reference. The row notes when its message is due (the hold's end, or at once), in the insert
    /// that happens anyway, so the status sync does not re-queue a trade whose message is on its way.
    /// </summary>
    private Handover Begin(TradeEntity trade, CancellationToken ct)
    {
        if (_draining || !_slots.Wait(0, CancellationToken.None))
        {
            trade.NextAttemptAt = trade.CreatedAt;
            return new Handover(Held: null);
        }
        trade.NextAttemptAt = trade.CreatedAt + _options.InlineHold;
        return new Handover(queue.SendAsync(TradeExecution.Reference(trade) with { Inline = true }, _options.InlineHold, ct));
    }

    /// <summary>The row is written: queues the trade (or waits for its held reference) and, holding a slot, starts it here.</summary>
    private async Task DispatchAsync(Handover handover, TradeEntity trade, CancellationToken ct)
    {
        var message = TradeExecution.For(trade) with { Inline = handover.Held is not null };
        SentGroup sent;
        try
        {
            sent = handover.Held is { } held ? await held : await queue.SendAsync(message, delay: null, ct);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            if (handover.Held is not null)
                _slots.Release();
            // The trade is recorded; the status sync re-queues accepted trades that never reached Alpaca.
            LogEnqueueFailed(trade.TradeId, ex.Message);
            return;
        }
        if (handover.Held is not null)
            Track(RunInlineAsync(message, sent));
    }

    /// <summary>
    /// The row was not written (the key was used before, or the write failed): frees the slot and lets
    /// the held reference go (its message is deleted once the group's other trades are done).
    /// </summary>
    private async Task AbandonAsync(Handover handover)
    {
        if (handover.Held is not { } held)
            return;
        _slots.Release();
        try
        {
            await queue.FinishAsync(await held, done: true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            // Harmless if it stays: when it surfaces, its delivery reads the row and finds nothing to do
            // (no row) or the original trade, which it can only look up, never re-order.
        }
    }

    private async Task RunInlineAsync(TradeExecution message, SentGroup sent)
    {
        await Task.Yield(); // let the caller answer first
        var done = false;
        try
        {
            await executor.ExecuteAsync(message, dequeueCount: 1, inline: true, _stopping.Token);
            done = true;
            await queue.FinishAsync(sent, done: true, _stopping.Token);
            AlpacaConnectTelemetry.CountInlineExecution("done");
        }
        catch (Exception ex)
        {
            // Nothing is lost: the message surfaces after the hold and the queue trigger takes over
            // (for its other trades too, which it finds done).
            if (!done)
                await queue.FinishAsync(sent, done: false, CancellationToken.None);
            AlpacaConnectTelemetry.CountInlineExecution(done ? "done" : "handed-to-queue");
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
