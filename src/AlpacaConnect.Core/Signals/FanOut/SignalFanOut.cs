using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Trading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// One recorded signal, carried out for each subscriber given (the worker passes the enabled ones):
/// the hook's rules checked against that subscriber's account, the order sized for it, and placed
/// through the ordinary trade pipeline (<see cref="InProcessTradeIntake"/>: TradeIntake's validation,
/// row and events, exactly once by client_order_id), executed here at once since the fan-out's own
/// queue message is the durable record of the work. Every trade's idempotency key is derived from
/// hook + signal + connection + step ("close" before a reversal or on an exit, "entry"), so a re-run
/// (a redelivered message, a crash) finds the trades it placed instead of placing them again.
/// Subscribers are independent: each ends in its own outcome, whatever happens to the others, and at
/// most <see cref="SignalFanOutOptions.FanOutConcurrency"/> are worked on at once.
/// </summary>
public sealed partial class SignalFanOut(
    InProcessTradeIntake trades,
    TradeStore store,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
    BrokerReadCache reads,
    IOptions<SignalFanOutOptions> options,
    TimeProvider time,
    ILogger<SignalFanOut> logger)
{
    /// <summary>The steps a subscriber's signal can take, in order; each is one trade under its own key.</summary>
    internal const string CloseStep = "close";
    internal const string EntryStep = "entry";

    // Fields, not captured parameters: the subscriber's run (a nested class) reads them.
    private readonly InProcessTradeIntake _trades = trades;
    private readonly TradeStore _store = store;
    private readonly ConnectionTokens _tokens = tokens;
    private readonly AlpacaTradingClient _alpaca = alpaca;
    private readonly BrokerReadCache _reads = reads;
    private readonly SignalFanOutOptions _options = options.Value;
    private readonly TimeProvider _time = time;

    public async Task<IReadOnlyList<SubscriberOutcome>> RunAsync(SignalHook hook, RecordedSignal signal, IReadOnlyList<SignalSubscriber> subscribers, CancellationToken ct)
    {
        var outcomes = new SubscriberOutcome[subscribers.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.FanOutConcurrency, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, subscribers.Count), parallel, async (i, token) =>
            outcomes[i] = await RunOneAsync(hook, signal, subscribers[i], token));
        LogFannedOut(signal.Id, hook.Id, outcomes.Count(o => o.Status == SubscriberOutcome.Placed),
            outcomes.Count(o => o.Status == SubscriberOutcome.Refused), outcomes.Count(o => o.Status == SubscriberOutcome.Failed));
        return outcomes;
    }

    /// <summary>The idempotency key of one step of one subscriber's signal.</summary>
    public static string IdempotencyKey(string hookId, string signalId, string userId, string env, string step) =>
        $"signal:{hookId}:{signalId}:{userId}:{env}:{step}";

    public static string Origin(string hookId) => "signal:" + hookId;

    private async Task<SubscriberOutcome> RunOneAsync(SignalHook hook, RecordedSignal signal, SignalSubscriber subscriber, CancellationToken ct)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["HookId"] = hook.Id, ["SignalId"] = signal.Id, ["UserId"] = subscriber.UserId });
        var run = new SubscriberRun(this, hook, signal, subscriber);
        try
        {
            var outcome = await run.RunAsync(ct);
            if (outcome.Status == SubscriberOutcome.Refused)
                LogRefused(signal.Id, subscriber.UserId, subscriber.Env, outcome.Reason!);
            return outcome;
        }
        catch (AlpacaCallFailed failed)
        {
            if (failed.Error.Kind == AlpacaErrorKind.Unauthorized && AlpacaEnvNames.TryParse(subscriber.Env, out var env))
            {
                await _tokens.RevokeAsync(subscriber.UserId, env, CancellationToken.None);
                return run.Failed(SignalReasons.ConnectionInactive, $"Alpaca refused the user's token ({failed.Error.Describe()}); the connection is marked revoked.");
            }
            LogFailed(signal.Id, subscriber.UserId, subscriber.Env, failed.What + ": " + failed.Error.Describe());
            return run.Failed(SignalReasons.AlpacaUnavailable, $"{failed.What} failed: {failed.Error.Describe()}.");
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // One subscriber's trouble (storage, a bug) is its own: the others go on. A trade it had
            // recorded is finished by the status sync (it looks the order up first).
            LogFailed(signal.Id, subscriber.UserId, subscriber.Env, ex.Message);
            return run.Failed(SignalReasons.Error, $"the fan-out for this subscriber failed ({ex.GetType().Name}).");
        }
    }

    /// <summary>An Alpaca read or cancel the subscriber's run depends on said no.</summary>
    private sealed class AlpacaCallFailed(string what, AlpacaError error) : Exception(what)
    {
        public string What { get; } = what;
        public AlpacaError Error { get; } = error;
    }

    [LoggerMessage(LogLevel.Information, "Signal {SignalId} of hook {HookId} fanned out: {Placed} placed, {Refused} refused, {Failed} failed")]
    private partial void LogFannedOut(string signalId, string hookId, int placed, int refused, int failed);

    [LoggerMessage(LogLevel.Information, "Signal {SignalId} refused for user {UserId} on {Env}: {Reason}")]
    private partial void LogRefused(string signalId, string userId, string env, string reason);

    [LoggerMessage(LogLevel.Warning, "Signal {SignalId} failed for user {UserId} on {Env}: {Error}")]
    private partial void LogFailed(string signalId, string userId, string env, string error);
}
