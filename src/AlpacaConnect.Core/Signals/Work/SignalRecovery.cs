using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

/// <summary>What one recovery run did.</summary>
public sealed record SignalRecoveryReport(int Pending, int Requeued, int Failed, int Removed);

/// <summary>
/// The timer's safety net for signals (Signals:RecoverySchedule, both hosts): a signal recorded as
/// queued whose fan-out message never reached the queue (the process died, or the send failed after
/// the signal was recorded) or was lost would otherwise stay queued for ever. It finds them by key:
/// every queued signal is recorded with a pending marker ("q~{key}") in its hook's partition, in the
/// same transaction, and the worker removes the marker with its last write. A run lists the hooks
/// (their one small partition), then reads each hook's markers with one key-range query in its
/// partition and each marked signal by its key; never a filter over the signals table. A signal
/// still queued <see cref="SignalOptions.RecoverAfter"/> after it was received (or last re-queued)
/// gets its fan-out queued again, noted on its row first (ETag-guarded, so a worker that finished it
/// meanwhile, or another run, wins). A re-run is safe: the fan-out's idempotency keys (hook + signal
/// + connection + step) find the trades an earlier run placed, and client_order_id keeps each order
/// once at Alpaca. After <see cref="MaxRequeues"/> re-queues the signal ends failed. Markers of
/// signals no longer queued go. Signals of a deleted hook are not followed (their hook is not listed).
/// </summary>
public sealed partial class SignalRecovery(SignalHookStore hooks, SignalLog log, SignalFanOutQueue queue, IOptions<SignalOptions> options, TimeProvider time, ILogger<SignalRecovery> logger)
{
    public const int MaxRequeues = 3;

    public async Task<SignalRecoveryReport> RunAsync(CancellationToken ct)
    {
        int pending = 0, requeued = 0, failed = 0, removed = 0;
        var grace = options.Value.RecoverAfter;
        foreach (var hook in await hooks.ListAsync(ct))
        {
            await foreach (var marker in log.PendingAsync(hook.RowKey, ct))
            {
                pending++;
                var key = marker.RowKey[SignalIds.PendingRowPrefix.Length..];
                var now = time.GetUtcNow();
                var signal = await log.GetAsync(hook.RowKey, key, ct);
                if (signal is null || signal.Status != SignalStatus.Queued)
                {
                    await log.RemovePendingAsync(hook.RowKey, key, ct);
                    removed++;
                    continue;
                }
                if (now - (signal.RequeuedAt ?? signal.ReceivedAt) < grace)
                    continue; // its message is probably on its way or being handled
                if ((signal.Requeues ?? 0) >= MaxRequeues)
                {
                    if (await log.TryFailAsync(signal, $"fan_out_lost: The fan-out was queued again {MaxRequeues} times and never completed; see the logs.", ct))
                    {
                        failed++;
                        LogGaveUp(signal.Id, MaxRequeues);
                        await log.RemovePendingAsync(hook.RowKey, key, ct);
                    }
                    continue;
                }
                if (!await log.TryMarkRequeuedAsync(signal, now, ct))
                    continue;
                try
                {
                    await queue.EnqueueAsync(SignalFanOutMessage.For(signal.Id), ct);
                }
                catch (RequestFailedException ex)
                {
                    // Counted as a re-queue (noted above): the next run after the grace period tries again, up to the limit.
                    LogRequeueFailed(signal.Id, ex.Message);
                    continue;
                }
                requeued++;
                LogRequeued(signal.Id, now - signal.ReceivedAt);
            }
        }
        if (requeued + failed > 0)
            LogRun(pending, requeued, failed, removed);
        return new SignalRecoveryReport(pending, requeued, failed, removed);
    }

    [LoggerMessage(LogLevel.Warning, "Signal {SignalId} was still queued {Age} after it was received; its fan-out is queued again")]
    private partial void LogRequeued(string signalId, TimeSpan age);

    [LoggerMessage(LogLevel.Error, "Signal {SignalId} is still queued and its fan-out could not be queued again ({Error}); the next run tries again")]
    private partial void LogRequeueFailed(string signalId, string error);

    [LoggerMessage(LogLevel.Error, "Signal {SignalId} was queued again {Times} times and never fanned out; it is marked failed")]
    private partial void LogGaveUp(string signalId, int times);

    [LoggerMessage(LogLevel.Warning, "Signal recovery: {Pending} pending, {Requeued} re-queued, {Failed} failed, {Removed} markers removed")]
    private partial void LogRun(int pending, int requeued, int failed, int removed);
}
