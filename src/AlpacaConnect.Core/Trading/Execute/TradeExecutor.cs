using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>A message that cannot be a trade execution: after the queue's retries it goes to the poison queue, whose handler keeps it as a dead letter.</summary>
public sealed class UnreadableTradeMessageException() : Exception("The queue message is not a trade execution (v1).");

/// <summary>
/// Submits a queued trade to Alpaca exactly once. client_order_id is derived from the trade id and
/// Alpaca refuses a reused one, so: on any redelivery or retry, look the order up before sending;
/// a "client_order_id must be unique" answer means it is already there. Rate limits and transient
/// failures re-queue the message with a delay; refusals end the trade.
/// Both hosts call this: the Functions queue trigger and the Server's queue runner.
/// </summary>
public sealed partial class TradeExecutor(
    TradeStore store,
    TradeQueue queue,
    DeadLetters deadLetters,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
    OrderFollowUp followUp,
    IOptions<TradingOptions> options,
    TimeProvider time,
    ILogger<TradeExecutor> logger)
{
    private readonly TradingOptions _options = options.Value;
    private readonly ExecutionRules _rules = new(options.Value, time);

    /// <summary>
    /// A queue delivery: one trade, or a group's (<see cref="GroupedTradeQueue"/>), each run as if it
    /// had come alone. If any of a group's trades throws, the whole message is retried (and in the
    /// end poisoned) as a single trade's would be: on the retry the others find their trade done or
    /// at Alpaca after one row read, so the one that failed gets exactly the deliveries it would alone.
    /// </summary>
    /// <param name="dequeueCount">Deliveries of this message so far (1 on the first).</param>
    public Task ExecuteAsync(string messageText, long dequeueCount, CancellationToken ct) =>
        EachAsync(TradeExecution.ReadAll(messageText) ?? throw new UnreadableTradeMessageException(), m => ExecuteAsync(m, dequeueCount, inline: false, ct));

    /// <param name="inline">The accepting process runs it before any queue delivery (<see cref="TradeDispatch"/>).</param>
    public async Task ExecuteAsync(TradeExecution message, long dequeueCount, bool inline, CancellationToken ct)
    {
        if (message.FollowUp > 0)
        {
            await followUp.CheckAsync(message, ct);
            return;
        }
        var (userId, env) = (message.UserId, message.AlpacaEnv);
        using var activity = AlpacaConnectTelemetry.Source.StartActivity("trade.execute");
        activity?.SetTag("trade.id", message.TradeId).SetTag("user.id", userId).SetTag("messaging.attempt", message.Attempt).SetTag("messaging.dequeue_count", dequeueCount);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["TradeId"] = message.TradeId, ["UserId"] = userId });

        TradeEntity? trade = null;
        if (message.Order is null)
        {
            if (await ResolveAsync(message, ct) is not { } resolved)
                return;
            (message, trade) = resolved;
        }

        var connection = await tokens.GetAsync(userId, env, ct);
        if (connection is null)
        {
            await FinishAsync(message, TradeStatus.Failed, "The connection is not active (disconnected or revoked) so the order was not sent.", ct);
            return;
        }
        var token = connection.Value.Token;
        var pastDeadline = _rules.IsPastDeadline(message);

        // A retry, a redelivery or a late message: the order may already be at Alpaca, and the
        // trade may have changed since it was queued (a cancel, or a sync re-queue that superseded
        // this message): read both before anything is sent.
        var lookFirst = _rules.MustLookFirst(message, dequeueCount, inline);
        if (lookFirst)
        {
            trade ??= await store.GetAsync(userId, message.RowKey, ct);
            // Closed, or its order recorded (the status sync follows it from there): nothing to send.
            if (trade is null || !trade.IsOpen || trade.AlpacaOrderId is not null)
                return;
            if (trade.Generation != message.Generation)
            {
                LogSuperseded(message.TradeId, message.Generation, trade.Generation);
                return;
            }
            if (trade.CancelRequested && trade.AlpacaOrderId is null)
            {
                await CancelUnsentAsync(message, trade, token, ct);
                return;
            }
        }

        var decision = await new OrderSubmission(alpaca, _rules, logger).RunAsync(message, token, lookFirst, pastDeadline, ct);
        await CarryOutAsync(message, decision, ct);
    }

    /// <summary>
    /// A message the queue gave up on (poison). Settle its trade from Alpaca's side so it never sits
    /// silently pending: the order exists -> record it; it does not -> failed, with the reason. One
    /// that is not a trade execution at all is kept in the dead-letter table (the host then deletes
    /// it from the poison queue, as after any handled message).
    /// </summary>
    /// <param name="messageId">The poison message's id, which names its dead-letter row.</param>
    public async Task SettlePoisonAsync(string messageText, string messageId, CancellationToken ct)
    {
        var messages = TradeExecution.ReadAll(messageText);
        if (messages is null)
        {
            var kept = await deadLetters.KeepAsync(Queues.TradeExecutions + Queues.PoisonSuffix, messageId, messageText,
                "Not a trade execution (v1): it cannot be settled or retried.", ct);
            LogUnreadablePoison(messageId, messageText.Length, DeadLetters.Preview(messageText), kept.Table, kept.Queue, kept.MessageId);
            return;
        }
        // A group's trades are settled one by one: each ends recorded or failed on its own.
        await EachAsync(messages, m => SettlePoisonedTradeAsync(m, ct));
    }

    private async Task SettlePoisonedTradeAsync(TradeExecution message, CancellationToken ct)
    {
        if (message.FollowUp > 0)
            return; // a check, not the trade's execution: the status sync follows the order
        // Closed, or its order recorded (a group's other trades, done before the group was poisoned): settled.
        if (await ResolveAsync(message, ct) is not { } resolved || resolved.Row.AlpacaOrderId is not null)
            return;
        if (resolved.Row.Generation != message.Generation)
        {
            // A later chain (the sync's re-queue) owns the trade; this one's failures are not the trade's end.
            LogSuperseded(message.TradeId, message.Generation, resolved.Row.Generation);
            return;
        }
        message = message.Order is null ? resolved.Message : message;
        var (env, rowKey) = (message.AlpacaEnv, message.RowKey);
        var connection = await tokens.GetAsync(message.UserId, env, ct);
        if (connection is not null)
        {
            var existing = await alpaca.GetOrderByClientOrderIdAsync(env, connection.Value.Token, TradeIds.ClientOrderId(rowKey), ct);
            if (existing.IsSuccess)
            {
                await RecordOrderAsync(message, existing.Value!, ct);
                return;
            }
        }
        await FinishAsync(message, TradeStatus.Failed, $"Execution failed repeatedly and the message moved to the poison queue after {_options.MaxDequeueCount} deliveries.", ct);
    }

    /// <summary>Runs <paramref name="run"/> for each of a message's trades at once; when any failed, throws (the first failure) after all ended.</summary>
    private static async Task EachAsync(IReadOnlyList<TradeExecution> messages, Func<TradeExecution, Task> run)
    {
        if (messages.Count == 1)
        {
            await run(messages[0]);
            return;
        }
        // WhenAll waits for every trade, then throws the first failure.
        await Task.WhenAll(messages.Select(m => Task.Run(() => run(m), CancellationToken.None)));
    }

    /// <summary>Does what the decision says: record the order, end the trade, or re-queue it (noted on the row first).</summary>
    private async Task CarryOutAsync(TradeExecution message, ExecutionDecision decision, CancellationToken ct)
    {
        switch (decision)
        {
            case ExecutionDecision.Record record:
                await RecordOrderAsync(message, record.Order, ct);
                return;

            case ExecutionDecision.Revoke revoke:
                await tokens.RevokeAsync(message.UserId, message.AlpacaEnv, ct);
                await FinishAsync(message, TradeStatus.Failed, revoke.Reason, ct);
                return;

            case ExecutionDecision.Refuse refuse:
                await FinishAsync(message, TradeStatus.Rejected, refuse.Reason, ct);
                return;

            case ExecutionDecision.Fail fail:
                await FinishAsync(message, TradeStatus.Failed, fail.Reason, ct);
                return;

            case ExecutionDecision.WaitForRateLimit wait:
                if (await MarkNextAttemptAsync(message, time.GetUtcNow() + wait.Delay, ct) is not { } waiting)
                    return;
                LogRateLimited(message.TradeId, wait.Delay.TotalSeconds);
                await queue.EnqueueAsync(waiting with { Inline = false }, wait.Delay, ct);
                return;

            case ExecutionDecision.Retry retry:
                if (await MarkNextAttemptAsync(message, time.GetUtcNow() + retry.Delay, ct) is not { } retrying)
                    return;
                LogTransient(message.TradeId, retry.Attempt, retry.Error, retry.Delay.TotalSeconds);
                await queue.EnqueueAsync(retrying with { Attempt = retry.Attempt, Inline = false }, retry.Delay, ct);
                return;

            case ExecutionDecision.GiveUp giveUp:
                // Left accepted (visibly pending), with no message: the status sync settles it by
                // lookup after the deadline, and does not start another chain before that.
                await MarkNextAttemptAsync(message, message.AcceptedAt + _options.SubmitDeadline, ct);
                LogRetriesExhausted(message.TradeId, giveUp.Attempt, giveUp.Error);
                return;

            default:
                throw new InvalidOperationException($"An execution cannot end in {decision.GetType().Name}.");
        }
    }

    /// <summary>
    /// Notes on the row when this trade's next message is due, before it is sent, so the status sync
    /// knows one is on its way (one chain per trade). Returns the message to send: with the row's new
    /// ETag when nothing else had changed it, else with its own (stale, so the next delivery reads the
    /// row before writing). Null when the trade no longer needs it: closed, recorded at Alpaca, or
    /// superseded by a later generation.
    /// </summary>
    private async Task<TradeExecution?> MarkNextAttemptAsync(TradeExecution message, DateTimeOffset due, CancellationToken ct)
    {
        if (await store.TryMarkNextAttemptAsync(message.UserId, message.RowKey, due, new Azure.ETag(message.ETag!), ct) is { } etag)
            return message with { ETag = etag.ToString() };
        for (var tries = 0; tries < 3; tries++)
        {
            var current = await store.GetAsync(message.UserId, message.RowKey, ct);
            if (current is null || !current.IsOpen || current.AlpacaOrderId is not null)
                return null;
            if (current.Generation != message.Generation)
            {
                LogSuperseded(message.TradeId, message.Generation, current.Generation);
                return null;
            }
            if (await store.TryMarkNextAttemptAsync(message.UserId, message.RowKey, due, current.ETag, ct) is not null)
                return message;
        }
        throw new InvalidOperationException($"Trade {message.TradeId} kept changing while its retry was scheduled; retrying the message.");
    }

    /// <summary>Alpaca has the order: record it. Under the accept-time ETag this needs no read.</summary>
    private async Task RecordOrderAsync(TradeExecution message, AlpacaOrder order, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var trade = Rebuild(message);
        trade.Apply(order, now);
        if (await store.TryUpdateAsync(trade, new Azure.ETag(message.ETag!), ct))
        {
            AlpacaConnectTelemetry.CountTrade(TradeStatus.Submitted);
            LogSubmitted(message.TradeId, order.Id, order.Status);
            await followUp.StartAsync(trade, ct);
            return;
        }

        // Someone wrote first: a redelivery that already recorded it, or a cancel request.
        for (var tries = 0; tries < 5; tries++)
        {
            var current = await store.GetAsync(trade.PartitionKey, trade.RowKey, ct);
            if (current is null || (current.AlpacaOrderId is not null && !current.IsOpen))
                return;
            current.Apply(order, now);
            if (current.CancelRequested && !AlpacaOrderStatuses.IsTerminal(order.Status))
                await CancelAfterSubmitAsync(current, order, ct);
            if (await store.TryUpdateAsync(current, current.ETag, ct))
            {
                AlpacaConnectTelemetry.CountTrade(TradeStatus.Submitted);
                LogSubmitted(message.TradeId, order.Id, order.Status);
                await followUp.StartAsync(current, ct);
                return;
            }
        }
        throw new InvalidOperationException($"Trade {message.TradeId} kept changing while its order was recorded; retrying the message.");
    }

    /// <summary>
    /// The caller canceled a trade with no recorded order. An earlier attempt may still have placed it
    /// (Alpaca took the order, its answer was lost): look it up, and cancel it at Alpaca if it is there;
    /// only a trade with no order at Alpaca ends "canceled before it was sent".
    /// </summary>
    private async Task CancelUnsentAsync(TradeExecution message, TradeEntity trade, AccessToken token, CancellationToken ct)
    {
        var found = await alpaca.GetOrderByClientOrderIdAsync(message.AlpacaEnv, token, TradeIds.ClientOrderId(message.RowKey), ct);
        switch (_rules.AfterLookUp(found, pastDeadline: false, message.Attempt))
        {
            case ExecutionDecision.Send: // none at Alpaca, and now none is ever sent
                await FinishAsync(message, TradeStatus.Canceled, "Canceled before it was sent to Alpaca.", ct);
                return;
            case ExecutionDecision.Record record:
                trade.Apply(record.Order, time.GetUtcNow());
                if (!AlpacaOrderStatuses.IsTerminal(record.Order.Status))
                    await CancelAfterSubmitAsync(trade, record.Order, ct);
                if (!await store.TryUpdateAsync(trade, trade.ETag, ct))
                    throw new InvalidOperationException($"Trade {message.TradeId} changed while its canceled order was recorded; retrying the message.");
                LogSubmitted(message.TradeId, record.Order.Id, record.Order.Status);
                return;
            case var other: // the lookup itself failed: retry, wait or end as the table says
                await CarryOutAsync(message, other, ct);
                return;
        }
    }

    /// <summary>The caller canceled while the order was on its way: cancel it at Alpaca now.</summary>
    private async Task CancelAfterSubmitAsync(TradeEntity trade, AlpacaOrder order, CancellationToken ct)
    {
        var connection = await tokens.GetAsync(trade.PartitionKey, trade.AlpacaEnv, ct);
        if (connection is null)
            return;
        var canceled = await alpaca.CancelOrderAsync(trade.AlpacaEnv, connection.Value.Token, order.Id, ct);
        trade.Record(trade.Status, time.GetUtcNow(), canceled.IsSuccess
            ? "cancel requested before submission; cancel sent to Alpaca"
            : $"cancel requested before submission; Alpaca refused the cancel ({canceled.Error!.Describe()})");
        if (!canceled.IsSuccess)
            return;
        // Alpaca's 204 has no body: record what the order is now (canceled, or pending_cancel); the sync follows the rest.
        var after = await alpaca.GetOrderAsync(trade.AlpacaEnv, connection.Value.Token, order.Id, ct);
        if (after.IsSuccess)
            trade.Apply(after.Value!, time.GetUtcNow());
    }

    /// <summary>Ends the trade without an order (failed or rejected).</summary>
    private async Task FinishAsync(TradeExecution message, string status, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var trade = Rebuild(message);
        trade.Record(status, now, reason);
        if (!await store.TryUpdateAsync(trade, new Azure.ETag(message.ETag!), ct))
        {
            var current = await store.GetAsync(trade.PartitionKey, trade.RowKey, ct);
            if (current is null || !current.IsOpen || current.AlpacaOrderId is not null)
                return;
            current.Record(status, now, reason);
            if (!await store.TryUpdateAsync(current, current.ETag, ct))
                throw new InvalidOperationException($"Trade {message.TradeId} changed while it was being finished; retrying the message.");
        }
        AlpacaConnectTelemetry.CountTrade(status);
        LogFinished(message.TradeId, status, reason);
    }

    /// <summary>
    /// A reference's order and ETag come from the trade's row. Null when there is nothing left to do:
    /// no row (its insert failed) or the trade is already closed.
    /// </summary>
    private async Task<(TradeExecution Message, TradeEntity Row)?> ResolveAsync(TradeExecution reference, CancellationToken ct)
    {
        var row = await store.GetAsync(reference.UserId, reference.RowKey, ct);
        if (row is null || !row.IsOpen)
            return null;
        return (TradeExecution.For(row) with { Attempt = reference.Attempt, Inline = reference.Inline, Generation = reference.Generation }, row);
    }

    /// <summary>The row as accepted, from a full message (a reference was resolved before), in the message's generation.</summary>
    private static TradeEntity Rebuild(TradeExecution message)
    {
        var trade = TradeEntity.Accepted(message.UserId, message.RowKey, message.Env, message.Order!, message.AcceptedAt, message.BodyHash, message.Origin);
        trade.Generation = message.Generation;
        return trade;
    }

    [LoggerMessage(LogLevel.Information, "Trade {TradeId} is at Alpaca as order {AlpacaOrderId} ({AlpacaStatus})")]
    private partial void LogSubmitted(string tradeId, string alpacaOrderId, string alpacaStatus);

    [LoggerMessage(LogLevel.Warning, "Trade {TradeId} ended {Status}: {Reason}")]
    private partial void LogFinished(string tradeId, string status, string reason);

    [LoggerMessage(LogLevel.Information, "Trade {TradeId} rate limited by Alpaca; retrying in {DelaySeconds:0.0}s")]
    private partial void LogRateLimited(string tradeId, double delaySeconds);

    [LoggerMessage(LogLevel.Warning, "Trade {TradeId} attempt {Attempt} failed transiently: {Error}; retrying in {DelaySeconds:0.0}s")]
    private partial void LogTransient(string tradeId, int attempt, string error, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "Trade {TradeId} gave up after {Attempt} attempts ({Error}); the status sync settles it after the submit deadline")]
    private partial void LogRetriesExhausted(string tradeId, int attempt, string error);

    [LoggerMessage(LogLevel.Error, "Poison message {MessageId} is not a trade execution ({Length} chars: {Preview}); kept in table {Table} (partition {Partition}, row {Row}) and removed from the poison queue")]
    private partial void LogUnreadablePoison(string messageId, int length, string preview, string table, string partition, string row);

    [LoggerMessage(LogLevel.Information, "Trade {TradeId}: a message of generation {Generation} stops; generation {CurrentGeneration} (a later re-queue) owns the trade")]
    private partial void LogSuperseded(string tradeId, int generation, int currentGeneration);
}
