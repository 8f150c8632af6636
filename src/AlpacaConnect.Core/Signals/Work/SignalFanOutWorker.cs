using System.Security.Cryptography;
using System.Text;
using AlpacaConnect.Core.Events;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// The signal-fanouts queue's handler, on both hosts: loads the signal, its hook and the enabled
/// subscribers, runs <see cref="SignalFanOut"/> and stores each subscriber's outcome (entity-group
/// batches in the signal's partition, with a signal.refused event per refusal through the outbox),
/// then marks the signal completed. A redelivery is harmless: a completed signal is left alone, a
/// re-run places no second order (the fan-out's idempotency keys), and outcomes are upserts with
/// events whose ids derive from signal + subscriber.
/// </summary>
public sealed partial class SignalFanOutWorker(
    SignalLog log,
    SignalHookStore hooks,
    SignalSubscriberStore subscribers,
    SignalFanOut fanOut,
    TimeProvider time,
    ILogger<SignalFanOutWorker> logger)
{
    public async Task HandleAsync(string text, CancellationToken ct)
    {
        if (SignalFanOutMessage.TryRead(text) is not { } message || !SignalIds.TryParse(message.SignalId, out var hookId, out var key))
            throw new FormatException("Not a signal fan-out message (version 1); it is retried, then poisoned.");
        var signal = await log.GetAsync(hookId, key, ct);
        if (signal is null)
        {
            LogMissing(message.SignalId);
            return;
        }
        if (signal.Status != SignalStatus.Queued)
        {
            await UnindexAsync(hookId, key); // completed, refused or failed before: this is a redelivery
            return;
        }

        var hook = await hooks.FindAsync(hookId, ct);
        if (hook is null || hook.Rules.Paused)
        {
            var reason = hook is null ? "hook_deleted: The hook was deleted before the signal was fanned out." : "paused: The hook was paused before the signal was fanned out.";
            await log.CommitRefusalAsync(hookId, key, reason, HookRefused(hookId, signal.Id, reason), ct);
            LogRefused(signal.Id, reason);
            await UnindexAsync(hookId, key);
            return;
        }
        var followers = await subscribers.ListEnabledAsync(hookId, ct);
        var outcomes = await fanOut.RunAsync(hook.ToHook(), signal.ToRecorded(), followers, ct);
        await log.StoreOutcomesAsync(hookId, key, outcomes, o => o.Status == SubscriberOutcome.Refused ? SubscriberRefused(hookId, signal.Id, o) : null, ct);
        await log.CompleteAsync(hookId, key, SignalStatus.Completed, null,
            outcomes.Count(o => o.Status == SubscriberOutcome.Placed), outcomes.Count(o => o.Status == SubscriberOutcome.Refused),
            outcomes.Count(o => o.Status == SubscriberOutcome.Failed), ct);
        LogCompleted(signal.Id, followers.Count);
    }

    /// <summary>The signal is no longer queued: its pending marker goes (if this fails, the recovery timer removes it).</summary>
    private async Task UnindexAsync(string hookId, string key)
    {
        try
        {
            await log.RemovePendingAsync(hookId, key, CancellationToken.None);
        }
        catch (Azure.RequestFailedException ex)
        {
            LogUnindexFailed(SignalIds.Compose(hookId, key), ex.Message);
        }
    }

    /// <summary>The fan-out kept failing: the signal ends failed, so the log says so instead of "queued" for ever.</summary>
    public async Task SettlePoisonAsync(string text, CancellationToken ct)
    {
        if (SignalFanOutMessage.TryRead(text) is not { } message || !SignalIds.TryParse(message.SignalId, out var hookId, out var key))
        {
            LogUnreadablePoison(text.Length);
            return;
        }
        if (await log.GetAsync(hookId, key, ct) is { Status: SignalStatus.Queued })
            await log.CompleteAsync(hookId, key, SignalStatus.Failed, "fan_out_failed: The fan-out kept failing and was poisoned; see the logs.", 0, 0, 0, ct);
        await UnindexAsync(hookId, key);
        LogPoisoned(message.SignalId);
    }

    private DomainEvent SubscriberRefused(string hookId, string signalId, SubscriberOutcome o) =>
        Deterministic(EventTypes.SignalRefused, $"{signalId}|{o.UserId}|{o.Env}",
            new { signal_id = signalId, hook_id = hookId, user_id = o.UserId, env = o.Env, reason = o.Reason });

    private DomainEvent HookRefused(string hookId, string signalId, string reason) =>
        Deterministic(EventTypes.SignalRefused, signalId, new { signal_id = signalId, hook_id = hookId, reason });

    /// <summary>An event whose id is derived from what it is about, so a re-run raises the same event, not a second one.</summary>
    private DomainEvent Deterministic(string type, string about, object data) =>
        DomainEvent.Create(type, time.GetUtcNow(), data) with
        {
            Id = "evt_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(type + "|" + about)))[..32],
        };

    [LoggerMessage(LogLevel.Warning, "Signal {SignalId} is done but its pending marker could not be removed ({Error}); the recovery timer removes it")]
    private partial void LogUnindexFailed(string signalId, string error);

    [LoggerMessage(LogLevel.Information, "Signal {SignalId} fanned out to {Subscribers} subscribers")]
    private partial void LogCompleted(string signalId, int subscribers);

    [LoggerMessage(LogLevel.Warning, "Signal {SignalId} not fanned out: {Reason}")]
    private partial void LogRefused(string signalId, string reason);

    [LoggerMessage(LogLevel.Warning, "Fan-out message for signal {SignalId}, which is not recorded; nothing to do")]
    private partial void LogMissing(string signalId);

    [LoggerMessage(LogLevel.Error, "Fan-out of signal {SignalId} poisoned; the signal is marked failed")]
    private partial void LogPoisoned(string signalId);

    [LoggerMessage(LogLevel.Error, "An unreadable message ({Length} chars) on the signal fan-out poison queue was dropped")]
    private partial void LogUnreadablePoison(int length);
}
