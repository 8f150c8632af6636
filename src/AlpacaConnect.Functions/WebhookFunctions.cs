using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Outgoing webhooks: subscriptions and the delivery log over HTTP, the delivery queue, the outbox sweep.</summary>
public sealed class WebhookFunctions(WebhooksApi webhooks, WebhookDispatcher dispatcher, OutboxSweep sweep)
{
    [Function("CreateWebhookSubscription")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Function, "post", Route = "webhooks/subscriptions")] HttpRequest request) =>
        webhooks.CreateAsync(request);

    [Function("ListWebhookSubscriptions")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = "webhooks/subscriptions")] HttpRequest request) =>
        webhooks.ListAsync(request);

    [Function("GetWebhookSubscription")]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "webhooks/subscriptions/{id}")] HttpRequest request, string id) =>
        webhooks.GetAsync(request, id);

    [Function("DeleteWebhookSubscription")]
    public Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Function, "delete", Route = "webhooks/subscriptions/{id}")] HttpRequest request, string id) =>
        webhooks.DeleteAsync(request, id);

    [Function("RotateWebhookSecret")]
    public Task<IResult> Rotate([HttpTrigger(AuthorizationLevel.Function, "post", Route = "webhooks/subscriptions/{id}/rotate-secret")] HttpRequest request, string id) =>
        webhooks.RotateSecretAsync(request, id);

    [Function("SendTestWebhook")]
    public Task<IResult> Test([HttpTrigger(AuthorizationLevel.Function, "post", Route = "webhooks/subscriptions/{id}/test")] HttpRequest request, string id) =>
        webhooks.SendTestAsync(request, id);

    [Function("ListSubscriptionDeliveries")]
    public Task<IResult> Deliveries([HttpTrigger(AuthorizationLevel.Function, "get", Route = "webhooks/subscriptions/{id}/deliveries")] HttpRequest request, string id) =>
        webhooks.SubscriptionDeliveriesAsync(request, id);

    [Function("RedeliverWebhook")]
    public Task<IResult> Redeliver(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "webhooks/subscriptions/{id}/deliveries/{eventId}/redeliver")] HttpRequest request, string id, string eventId) =>
        webhooks.RedeliverAsync(request, id, eventId);

    [Function("ListEventDeliveries")]
    public Task<IResult> EventDeliveries([HttpTrigger(AuthorizationLevel.Function, "get", Route = "webhooks/events/{eventId}/deliveries")] HttpRequest request, string eventId) =>
        webhooks.EventDeliveriesAsync(request, eventId);

    /// <summary>Throwing retries it; after Webhooks:MaxDequeueCount deliveries it is poisoned (QueuePoisoning) and dead-lettered below.</summary>
    [Function("DeliverWebhook")]
    public Task Deliver([QueueTrigger(Queues.WebhookDeliveries)] string message, CancellationToken cancellationToken) =>
        dispatcher.DeliverAsync(Queues.AsText(message), cancellationToken);

    [Function("DeadLetterPoisonedWebhook")]
    public Task DeadLetter([QueueTrigger(Queues.WebhookDeliveries + Queues.PoisonSuffix)] string message, CancellationToken cancellationToken) =>
        dispatcher.DeadLetterPoisonAsync(Queues.AsText(message), cancellationToken);

    [Function("SweepWebhookOutbox")]
    public Task Sweep([TimerTrigger("%Webhooks:SweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweep.RunAsync(cancellationToken);
}
