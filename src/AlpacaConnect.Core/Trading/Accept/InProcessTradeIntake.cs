using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Accepting a trade for a caller that already holds a durable record of the work: the signal
/// fan-out, whose queue message is redelivered until the fan-out completes. The trade is validated
/// and recorded as <see cref="TradeIntake"/> does (same checks, same row, same trade.accepted), but
/// not queued: it is executed here at once through <see cref="TradeExecutor"/>, so it costs the
/// insert and the replace and no queue calls. Exactly once still holds:
/// - a redelivery uses the same idempotency key, finds the trade and, if it was accepted but never
///   executed (the process died in between), resumes it as a redelivery: the executor looks the order
///   up by its client_order_id before it sends, so it never places a second order;
/// - the row says its execution is due at once, so if nothing redelivers, the status sync re-queues
///   it after <see cref="TradingOptions.StaleAcceptedAfter"/>, as for any trade whose message was lost;
/// - rate limits and transient failures re-queue it on trade-executions, as for any trade.
/// </summary>
public sealed partial class InProcessTradeIntake(
    TradeIntake intake,
    TradeStore store,
    TradeExecutor executor,
    TimeProvider time,
    ILogger<InProcessTradeIntake> logger)
{
    /// <summary>Same outcomes as <see cref="TradeIntake.AcceptAsync"/>; an accepted trade has been executed (or handed to the queue) when this returns.</summary>
    public async Task<TradeIntake.Outcome> AcceptAndExecuteAsync(TradeRequest request, string idempotencyKey, string? origin, CancellationToken ct)
    {
        var errors = await intake.CheckAsync(request, ct);
        if (errors.Count > 0)
            return new TradeIntake.Invalid(errors);

        var trade = intake.NewTrade(request, idempotencyKey, origin);
        trade.NextAttemptAt = trade.CreatedAt;
        var recorded = await store.AcceptAsync(trade, ct);
        var outcome = intake.Settle(recorded);
        switch (recorded)
        {
            case TradeStore.Accepted accepted:
                await ExecuteAsync(TradeExecution.For(accepted.Trade), dequeueCount: 1, inline: true, ct);
                break;
            case TradeStore.KeyUsed used when IsUnexecuted(used.Trade):
                // An earlier run recorded it and stopped: run it as a redelivery (it looks before it sends).
                LogResumed(used.Trade.TradeId);
                await ExecuteAsync(TradeExecution.For(used.Trade), dequeueCount: 2, inline: false, ct);
                break;
        }
        return outcome;
    }

    /// <summary>Accepted, no order recorded, and no queue message on its way (a retry's due time is not ahead).</summary>
    private bool IsUnexecuted(TradeEntity trade) =>
        trade.Status == TradeStatus.Accepted && trade.AlpacaOrderId is null && !trade.CancelRequested
        && (trade.NextAttemptAt is null || trade.NextAttemptAt <= time.GetUtcNow());

    private async Task ExecuteAsync(TradeExecution message, long dequeueCount, bool inline, CancellationToken ct)
    {
        try
        {
            await executor.ExecuteAsync(message, dequeueCount, inline, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The trade is recorded and due: the caller's redelivery or the status sync finishes it, by lookup first.
            LogHandedOver(message.TradeId, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Trade {TradeId} was recorded by an earlier run but not executed; resuming it (lookup first)")]
    private partial void LogResumed(string tradeId);

    [LoggerMessage(LogLevel.Warning, "Trade {TradeId} recorded but its in-process execution did not finish ({Error}); a redelivery or the status sync finishes it")]
    private partial void LogHandedOver(string tradeId, string error);
}
