using AlpacaConnect.Core.Events;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>
/// Webhooks as a consumer of events: a committed event becomes one delivery message per
/// subscription that wants its type. Asked on every write, answered from the subscriptions' cache.
/// </summary>
public sealed class WebhookFanOut(SubscriptionStore subscriptions, WebhookQueue queue) : IEventDispatcher
{
    public async ValueTask<bool> WantsAsync(string eventType, CancellationToken ct) =>
        (await subscriptions.MatchingAsync(eventType, ct)).Count > 0;

    public async Task DispatchAsync(DomainEvent e, CancellationToken ct)
    {
        foreach (var subscription in await subscriptions.MatchingAsync(e.Type, ct))
            await queue.EnqueueAsync(WebhookDelivery.First(subscription.Id, e), delay: null, ct);
    }
}
