using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Signals: hooks and subscribers (key), the anonymous alert endpoint (the hook's secret is the auth), the signal log.</summary>
public sealed class SignalFunctions(SignalHooksApi hooks, SignalIntake intake, SignalLogApi log, SignalFanOutWorker worker, SignalRecovery recovery)
{
    [Function("CreateSignalHook")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Function, "post", Route = "signal-hooks")] HttpRequest request) =>
        hooks.CreateAsync(request);

    [Function("ListSignalHooks")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = "signal-hooks")] HttpRequest request) =>
        hooks.ListAsync(request);

    [Function("GetSignalHook")]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "signal-hooks/{hookId}")] HttpRequest request, string hookId) =>
        hooks.GetAsync(request, hookId);

    [Function("PatchSignalHook")]
    public Task<IResult> Patch([HttpTrigger(AuthorizationLevel.Function, "patch", Route = "signal-hooks/{hookId}")] HttpRequest request, string hookId) =>
        hooks.PatchAsync(request, hookId);

    [Function("DeleteSignalHook")]
    public Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Function, "delete", Route = "signal-hooks/{hookId}")] HttpRequest request, string hookId) =>
        hooks.DeleteAsync(request, hookId);

    [Function("RotateSignalHookSecret")]
    public Task<IResult> Rotate([HttpTrigger(AuthorizationLevel.Function, "post", Route = "signal-hooks/{hookId}/rotate-secret")] HttpRequest request, string hookId) =>
        hooks.RotateSecretAsync(request, hookId);

    [Function("PutSignalSubscriber")]
    public Task<IResult> PutSubscriber(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "signal-hooks/{hookId}/subscribers/{userId}/{env}")] HttpRequest request, string hookId, string userId, string env) =>
        hooks.PutSubscriberAsync(request, hookId, userId, env);

    [Function("DeleteSignalSubscriber")]
    public Task<IResult> DeleteSubscriber(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "signal-hooks/{hookId}/subscribers/{userId}/{env}")] HttpRequest request, string hookId, string userId, string env) =>
        hooks.DeleteSubscriberAsync(request, hookId, userId, env);

    [Function("ListSignalSubscribers")]
    public Task<IResult> Subscribers([HttpTrigger(AuthorizationLevel.Function, "get", Route = "signal-hooks/{hookId}/subscribers")] HttpRequest request, string hookId) =>
        hooks.ListSubscribersAsync(request, hookId);

    [Function("ListSignals")]
    public Task<IResult> Signals([HttpTrigger(AuthorizationLevel.Function, "get", Route = "signal-hooks/{hookId}/signals")] HttpRequest request, string hookId) =>
        log.ListAsync(request, hookId);

    [Function("GetSignal")]
    public Task<IResult> Signal([HttpTrigger(AuthorizationLevel.Function, "get", Route = "signals/{id}")] HttpRequest request, string id) =>
        log.GetAsync(request, id);

    /// <summary>Anonymous at the host: alert senders cannot send a key; the hook's secret (path or passphrase) is the auth.</summary>
    [Function("ReceiveSignal")]
    public Task<IResult> Receive([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "signals/{hookId}/{secret}")] HttpRequest request, string hookId, string secret) =>
        intake.ReceiveAsync(request, hookId, secret);

    [Function("ReceiveSignalWithPassphrase")]
    public Task<IResult> ReceiveWithPassphrase([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "signals/{id}")] HttpRequest request, string id) =>
        intake.ReceiveAsync(request, id, null);

    /// <summary>Throwing retries it; after Signals:MaxDequeueCount deliveries it is poisoned (QueuePoisonMiddleware) and the signal marked failed below.</summary>
    [Function("FanOutSignal")]
    public Task FanOut([QueueTrigger(Queues.SignalFanOuts)] string message, CancellationToken cancellationToken) =>
        worker.HandleAsync(Queues.AsText(message), cancellationToken);

    [Function("SettlePoisonedSignal")]
    public Task SettlePoison([QueueTrigger(Queues.SignalFanOuts + Queues.PoisonSuffix)] string message, CancellationToken cancellationToken) =>
        worker.SettlePoisonAsync(Queues.AsText(message), cancellationToken);

    /// <summary>Re-queues the fan-out of signals left queued (their message never reached the queue, or was lost).</summary>
    [Function("RecoverSignals")]
    public Task Recover([TimerTrigger("%Signals:RecoverySchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        recovery.RunAsync(cancellationToken);
}
