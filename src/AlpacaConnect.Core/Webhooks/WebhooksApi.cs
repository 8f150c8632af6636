using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>Subscriptions, their secrets, test events and the delivery log over HTTP (all key-authenticated).</summary>
public sealed class WebhooksApi(SubscriptionStore subscriptions, DeliveryLog log, WebhookQueue queue, TargetGuard targets, TimeProvider time)
{
    public sealed record CreateSubscriptionRequest(string Url, IReadOnlyList<string>? EventTypes = null, string? Description = null);

    /// <summary>The only time a secret leaves the service: at creation and at rotation.</summary>
    public sealed record SubscriptionWithSecret(WebhookSubscription Subscription, string Secret);

    public sealed record EventQueued(string EventId, string SubscriptionId);

    public sealed record SubscriptionList(IReadOnlyList<WebhookSubscription> Subscriptions);

    public sealed record SubscriptionDeliveries(string SubscriptionId, IReadOnlyList<DeliveryAttempt> Attempts);

    public sealed record EventDeliveries(string EventId, IReadOnlyList<DeliveryAttempt> Attempts);

    /// <summary>POST /api/webhooks/subscriptions: 201 with the signing secret (whsec_...), shown once.</summary>
    public async Task<IResult> CreateAsync(HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<CreateSubscriptionRequest>(request, ct);
        if (body is null)
            return problem!;

        var errors = new Dictionary<string, string[]>();
        if (await targets.RefusalAsync(body.Url, ct) is { } refusal)
            errors["url"] = [refusal];
        else if (body.Url.Length > 2000)
            errors["url"] = ["At most 2000 characters."];
        var types = body.EventTypes is null or { Count: 0 } ? ["*"] : body.EventTypes;
        var unknown = types.Where(t => t != "*" && !EventTypes.All.Contains(t)).ToList();
        if (unknown.Count > 0)
            errors["event_types"] = [$"Unknown: {string.Join(", ", unknown)}. Use \"*\" or any of: {string.Join(", ", EventTypes.All)}."];
        if (body.Description is { Length: > 500 })
            errors["description"] = ["At most 500 characters."];
        if (errors.Count > 0)
            return Problems.Validation(errors, "Nothing was stored.");

        var (subscription, secret) = await subscriptions.CreateAsync(body.Url, types.Distinct().ToList(), body.Description, ct);
        return new LocationResult(JsonBody.Ok(new SubscriptionWithSecret(subscription, secret), StatusCodes.Status201Created),
            "/api/webhooks/subscriptions/" + subscription.Id);
    }

    public async Task<IResult> ListAsync(HttpRequest request) =>
        JsonBody.Ok(new SubscriptionList(await subscriptions.ListAsync(request.HttpContext.RequestAborted)));

    public async Task<IResult> GetAsync(HttpRequest request, string id) =>
        await subscriptions.GetAsync(id, request.HttpContext.RequestAborted) is { } subscription ? JsonBody.Ok(subscription) : NotFound(id);

    public async Task<IResult> DeleteAsync(HttpRequest request, string id) =>
        await subscriptions.GetAsync(id, request.HttpContext.RequestAborted) is null ? NotFound(id)
        : await subscriptions.DeleteAsync(id, request.HttpContext.RequestAborted) ? Results.NoContent() : NotFound(id);

    /// <summary>POST .../rotate-secret: a new secret; the old one keeps signing during the overlap (both signatures sent).</summary>
    public async Task<IResult> RotateSecretAsync(HttpRequest request, string id) =>
        await subscriptions.RotateSecretAsync(id, request.HttpContext.RequestAborted) is { } rotated
            ? JsonBody.Ok(new SubscriptionWithSecret(rotated.Subscription, rotated.Secret))
            : NotFound(id);

    /// <summary>POST .../test: queues a webhook.test event to this subscription only.</summary>
    public async Task<IResult> SendTestAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await subscriptions.GetAsync(id, ct) is null)
            return NotFound(id);
        var e = DomainEvent.Create(EventTypes.Test, time.GetUtcNow(), new { subscription_id = id, message = "This is a test event." });
        await queue.EnqueueAsync(WebhookDelivery.First(id, e), delay: null, ct);
        return JsonBody.Ok(new EventQueued(e.Id, id), StatusCodes.Status202Accepted);
    }

    public async Task<IResult> SubscriptionDeliveriesAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await subscriptions.GetAsync(id, ct) is null)
            return NotFound(id);
        return JsonBody.Ok(new SubscriptionDeliveries(id, await log.ForSubscriptionAsync(id, ct)));
    }

    public async Task<IResult> EventDeliveriesAsync(HttpRequest request, string eventId)
    {
        if (!eventId.StartsWith("evt_", StringComparison.Ordinal) || eventId.Length != 36)
            return Problems.NotFound($"No event '{eventId}'.");
        var attempts = await log.ForEventAsync(eventId, request.HttpContext.RequestAborted);
        return attempts.Count == 0 ? Problems.NotFound($"No deliveries of event '{eventId}'.") : JsonBody.Ok(new EventDeliveries(eventId, attempts));
    }

    /// <summary>POST .../deliveries/{eventId}/redeliver: the same event (same webhook-id) sent again, schedule restarted.</summary>
    public async Task<IResult> RedeliverAsync(HttpRequest request, string id, string eventId)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await subscriptions.GetAsync(id, ct) is null)
            return NotFound(id);
        var e = await log.FindEventAsync(id, eventId, ct);
        if (e is null)
            return Problems.NotFound($"Subscription '{id}' has no delivery of event '{eventId}'.");
        await queue.EnqueueAsync(WebhookDelivery.First(id, e) with { Attempt = 0 }, delay: null, ct);
        return JsonBody.Ok(new EventQueued(e.Id, id), StatusCodes.Status202Accepted);
    }

    private static IResult NotFound(string id) => Problems.NotFound($"No webhook subscription '{id}'.");
}
