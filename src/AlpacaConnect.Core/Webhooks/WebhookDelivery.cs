using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Storage;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>The queue message for one delivery of one event to one subscription; attempt counts from 0.</summary>
public sealed record WebhookDelivery
{
    public int V { get; init; } = 1;
    public required string SubscriptionId { get; init; }
    public required string EventId { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JsonObject Data { get; init; }
    public int Attempt { get; init; }

    [JsonIgnore] public DomainEvent Event => new(EventId, Type, Timestamp, Data);

    public static WebhookDelivery First(string subscriptionId, DomainEvent e) => new()
    {
        SubscriptionId = subscriptionId,
        EventId = e.Id,
        Type = e.Type,
        Timestamp = e.Timestamp,
        Data = e.Data,
    };

    public string Serialize() => QueueMessageJson.Serialize(this);

    public static WebhookDelivery? Deserialize(string json) => QueueMessageJson.Deserialize<WebhookDelivery>(json, m => m.V == 1);
}

/// <summary>Puts deliveries on the webhook-deliveries queue (base64, as the Functions trigger reads).</summary>
public sealed class WebhookQueue(Queues queues)
{
    public async Task EnqueueAsync(WebhookDelivery delivery, TimeSpan? delay, CancellationToken ct) =>
        await queues.Get(Queues.WebhookDeliveries).SendMessageAsync(delivery.Serialize(), visibilityTimeout: delay, cancellationToken: ct);
}
