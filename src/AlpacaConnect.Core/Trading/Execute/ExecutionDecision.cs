using AlpacaConnect.Core.Alpaca;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Trading;

/// <summary>What one execution of a trade does next, decided from Alpaca's answer (see <see cref="ExecutionRules"/>).</summary>
public abstract record ExecutionDecision
{
    private ExecutionDecision()
    {
    }

    /// <summary>Alpaca has the order (placed now, or found by its client_order_id): record what Alpaca says.</summary>
    public sealed record Record(AlpacaOrder Order) : ExecutionDecision;

    /// <summary>No order at Alpaca has the trade's client_order_id: send it.</summary>
    public sealed record Send : ExecutionDecision;

    /// <summary>Alpaca says the client_order_id is in use, so the order is there: read it by that id instead of sending again.</summary>
    public sealed record LookUp : ExecutionDecision;

    /// <summary>Alpaca refused the order (403, 422, 404): the trade ends rejected, with Alpaca's reason.</summary>
    public sealed record Refuse(string Reason) : ExecutionDecision;

    /// <summary>Alpaca refused the user's token (401): the connection is marked revoked and the trade ends failed.</summary>
    public sealed record Revoke(string Reason) : ExecutionDecision;

    /// <summary>The trade ends failed without an order (e.g. past the submit deadline with none at Alpaca).</summary>
    public sealed record Fail(string Reason) : ExecutionDecision;

    /// <summary>A transient failure (5xx, timeout, unreachable): the order may or may not exist; re-queue as <paramref name="Attempt"/> after <paramref name="Delay"/> (it looks first).</summary>
    public sealed record Retry(int Attempt, TimeSpan Delay, string Error) : ExecutionDecision;

    /// <summary>Rate limited (429): re-queue after <paramref name="Delay"/>; not a failure, so the attempt count stays.</summary>
    public sealed record WaitForRateLimit(TimeSpan Delay) : ExecutionDecision;

    /// <summary>
    /// The transient failure that used up <see cref="TradingOptions.MaxAttempts"/>: no message is sent; the
    /// trade is left accepted and the status sync settles it by lookup after the submit deadline.
    /// </summary>
    public sealed record GiveUp(int Attempt, string Error) : ExecutionDecision;
}

/// <summary>
/// The executor's decision table, without storage: when an execution must look before it sends,
/// and what each of Alpaca's answers leads to (record, send, look up, refuse, revoke, fail, retry,
/// wait, give up). <paramref name="jitter"/> gives a number in [0, 1) that spreads retry delays.
/// </summary>
public sealed class ExecutionRules(TradingOptions options, TimeProvider time, Func<double> jitter)
{
    private static readonly TimeSpan DefaultRateLimitWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MinRateLimitWait = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RateLimitJitter = TimeSpan.FromMilliseconds(500);

    public ExecutionRules(TradingOptions options, TimeProvider time)
        : this(options, time, Random.Shared.NextDouble)
    {
    }

    /// <summary>An order not at Alpaca this long after acceptance is never sent (<see cref="TradingOptions.SubmitDeadline"/>).</summary>
    public bool IsPastDeadline(TradeExecution message) => time.GetUtcNow() - message.AcceptedAt > options.SubmitDeadline;

    /// <summary>
    /// A retry, a redelivery, an inline message the queue now delivers, or a late message: the order
    /// may already be at Alpaca and the trade may have changed since it was queued (a cancel, or a
    /// sync re-queue that superseded this message), so both are read before anything is sent.
    /// </summary>
    /// <param name="dequeueCount">Deliveries of this message so far (1 on the first).</param>
    /// <param name="inline">The accepting process runs it now, before any queue delivery.</param>
    public bool MustLookFirst(TradeExecution message, long dequeueCount, bool inline)
    {
        var mayHaveBeenSent = message.Attempt > 0 || dequeueCount > 1 || (message.Inline && !inline);
        var maySupersede = time.GetUtcNow() - message.AcceptedAt >= options.StaleAcceptedAfter;
        return mayHaveBeenSent || IsPastDeadline(message) || maySupersede;
    }

    /// <summary>Alpaca's answer to the lookup before sending: the order found is recorded; none found is sent, unless it is too late to send.</summary>
    public ExecutionDecision AfterLookUp(AlpacaResult<AlpacaOrder> answer, bool pastDeadline, int attempt)
    {
        if (answer.IsSuccess)
            return new ExecutionDecision.Record(answer.Value!);
        if (answer.Error!.Kind != AlpacaErrorKind.NotFound)
            return AfterError(answer.Error, attempt);
        return pastDeadline
            ? new ExecutionDecision.Fail($"Not submitted within {options.SubmitDeadline.TotalMinutes:0} minutes of acceptance; no order exists at Alpaca and a stale order is never sent.")
            : new ExecutionDecision.Send();
    }

    /// <summary>Alpaca's answer to the order: placed, already there ("client_order_id must be unique"), or refused.</summary>
    public ExecutionDecision AfterSend(AlpacaResult<AlpacaOrder> answer, int attempt)
    {
        if (answer.IsSuccess)
            return new ExecutionDecision.Record(answer.Value!);
        return IsDuplicateClientOrderId(answer.Error!) ? new ExecutionDecision.LookUp() : AfterError(answer.Error!, attempt);
    }

    /// <summary>The lookup after "client_order_id must be unique": the order found is recorded; any other answer (404 included) is Alpaca's error.</summary>
    public ExecutionDecision AfterDuplicateLookUp(AlpacaResult<AlpacaOrder> answer, int attempt) =>
        answer.IsSuccess ? new ExecutionDecision.Record(answer.Value!) : AfterError(answer.Error!, attempt);

    /// <summary>Alpaca said no: refused for good, a revoked token, a rate limit to wait out, or a transient failure to retry.</summary>
    /// <param name="attempt">Transient failures of this trade before this one (the message's <see cref="TradeExecution.Attempt"/>).</param>
    public ExecutionDecision AfterError(AlpacaError error, int attempt)
    {
        switch (error.Kind)
        {
            case AlpacaErrorKind.Unauthorized:
                return new ExecutionDecision.Revoke($"Alpaca refused the user's token ({error.Describe()}); the connection is marked revoked.");

            case AlpacaErrorKind.Forbidden or AlpacaErrorKind.Invalid or AlpacaErrorKind.NotFound:
                return new ExecutionDecision.Refuse(error.Describe());

            case AlpacaErrorKind.RateLimited:
                // Wait for the window to reset; not a failure, so the attempt count stays.
                var reset = error.RateLimitReset is { } at ? at - time.GetUtcNow() : DefaultRateLimitWait;
                return new ExecutionDecision.WaitForRateLimit(Clamp(reset, MinRateLimitWait, options.MaxRateLimitWait) + Jitter(RateLimitJitter));

            default: // 5xx, timeout, unreachable: the order may or may not exist; the next try looks first.
                var next = attempt + 1;
                if (next >= options.MaxAttempts)
                    return new ExecutionDecision.GiveUp(next, error.Describe());
                var backoff = Clamp(options.RetryBaseDelay * Math.Pow(2, attempt), TimeSpan.Zero, options.MaxRetryDelay);
                return new ExecutionDecision.Retry(next, backoff + Jitter(backoff / 2), error.Describe());
        }
    }

    private static bool IsDuplicateClientOrderId(AlpacaError error) =>
        error.Kind == AlpacaErrorKind.Invalid && error.Message.Contains("client_order_id must be unique", StringComparison.OrdinalIgnoreCase);

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    private TimeSpan Jitter(TimeSpan max) => TimeSpan.FromMilliseconds(jitter() * max.TotalMilliseconds);
}

/// <summary>
/// The Alpaca half of one execution, exactly once: look the order up by its client_order_id when it
/// may be there already, send it otherwise, and take Alpaca's "client_order_id must be unique" as
/// "it is there": look it up instead of sending again. No storage: it ends in a decision the
/// executor carries out.
/// </summary>
public sealed partial class OrderSubmission(IAlpacaOrders alpaca, ExecutionRules rules, ILogger logger)
{
    /// <param name="lookFirst">The order may be at Alpaca already (<see cref="ExecutionRules.MustLookFirst"/>).</param>
    /// <param name="pastDeadline">Too late to send (<see cref="ExecutionRules.IsPastDeadline"/>): with nothing at Alpaca the trade fails.</param>
    public async Task<ExecutionDecision> RunAsync(TradeExecution message, AccessToken token, bool lookFirst, bool pastDeadline, CancellationToken ct)
    {
        var (env, clientOrderId) = (message.AlpacaEnv, TradeIds.ClientOrderId(message.RowKey));
        if (lookFirst)
        {
            var existing = await alpaca.GetOrderByClientOrderIdAsync(env, token, clientOrderId, ct);
            if (rules.AfterLookUp(existing, pastDeadline, message.Attempt) is var afterLookUp and not ExecutionDecision.Send)
                return afterLookUp;
        }

        var placed = await alpaca.CreateOrderAsync(env, token, message.Order!.ToAlpaca(clientOrderId), ct);
        if (rules.AfterSend(placed, message.Attempt) is var afterSend and not ExecutionDecision.LookUp)
            return afterSend;
        LogAlreadySubmitted(logger, message.TradeId);
        var found = await alpaca.GetOrderByClientOrderIdAsync(env, token, clientOrderId, ct);
        return rules.AfterDuplicateLookUp(found, message.Attempt);
    }

    [LoggerMessage(LogLevel.Information, "Trade {TradeId} was already submitted (client_order_id in use); recording the existing order")]
    private static partial void LogAlreadySubmitted(ILogger logger, string tradeId);
}
