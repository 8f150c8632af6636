using Azure.Data.Tables;
using AlpacaConnect.Core.Storage;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>An event about to be written with its change, and who wants it.</summary>
public sealed record PendingEvent(WebhookEvent Event, TableEntity OutboxRow, IReadOnlyList<WebhookSubscription> Subscribers);

/// <summary>
/// Events ride in the same entity-group transaction as the change that causes them (an outbox row
/// in the changed entity's partition), so there is no change without its event and no event without
/// its change. After the write they are fanned out: one delivery message per subscriber. An event
/// nobody subscribes to is not written at all, so a change nobody watches stays a one-entity write.
/// </summary>
public sealed partial class WebhookPublisher(SubscriptionStore subscriptions, WebhookQueue queue, ILogger<WebhookPublisher> logger)
{
    /// <summary>The events someone subscribes to, each with the outbox row to write with the change.</summary>
    public async Task<IReadOnlyList<PendingEvent>> PrepareAsync(string partitionKey, IEnumerable<WebhookEvent> events, CancellationToken ct)
    {
        var pending = new List<PendingEvent>();
        foreach (var e in events)
        {
            var subscribers = await subscriptions.MatchingAsync(e.Type, ct);
            if (subscribers.Count > 0)
                pending.Add(new PendingEvent(e, e.ToOutboxRow(partitionKey), subscribers));
        }
        return pending;
    }

    /// <summary>After the change committed: queue a delivery per subscriber, then mark the outbox row dispatched.</summary>
    public async Task DispatchAsync(TableClient table, IReadOnlyList<PendingEvent> pending, CancellationToken ct)
    {
        foreach (var p in pending.Where(p => p.Subscribers.Count > 0))
        {
            try
            {
                foreach (var subscription in p.Subscribers)
                    await queue.EnqueueAsync(WebhookDelivery.First(subscription.Id, p.Event), delay: null, ct);
                await table.UpdateEntityAsync(new TableEntity(p.OutboxRow.PartitionKey, p.OutboxRow.RowKey) { ["Dispatched"] = true },
                    Azure.ETag.All, TableUpdateMode.Merge, ct);
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException)
            {
                // The change and its event are stored; the outbox sweep dispatches it later.
                LogDispatchDeferred(p.Event.Id, p.Event.Type, ex.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Event {EventId} ({EventType}) recorded but not yet dispatched ({Error}); the outbox sweep will dispatch it")]
    private partial void LogDispatchDeferred(string eventId, string eventType, string error);
}
