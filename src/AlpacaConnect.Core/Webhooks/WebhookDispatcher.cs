using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>A message that cannot be a webhook delivery: it goes to the poison queue, where it stays visible.</summary>
public sealed class UnreadableWebhookMessageException() : Exception("The queue message is not a webhook delivery (v1).");

/// <summary>
/// Delivers one event to one subscription: signed per Standard Webhooks (webhook-id stable across
/// retries, webhook-timestamp, webhook-signature with both secrets during a rotation), 15 s timeout,
/// only 2xx counts. Failures retry on the configured schedule through queue visibility delays
/// (Retry-After honoured on 429/503); 410 disables the subscription; after the last attempt the
/// delivery is dead-lettered. Every attempt is recorded. Both hosts call this from their queue.
/// </summary>
public sealed partial class WebhookDispatcher(
    IHttpClientFactory httpFactory,
    SubscriptionStore subscriptions,
    DeliveryLog log,
    WebhookQueue queue,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger)
{
    public const string HttpClientName = "webhooks";
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(24);

    public async Task DeliverAsync(string messageText, CancellationToken ct)
    {
        var delivery = WebhookDelivery.Deserialize(messageText) ?? throw new UnreadableWebhookMessageException();
        var e = delivery.Event;
        using var activity = AlpacaConnectTelemetry.Source.StartActivity("webhook.deliver");
        activity?.SetTag("event.id", e.Id).SetTag("event.type", e.Type).SetTag("webhook.subscription_id", delivery.SubscriptionId).SetTag("messaging.attempt", delivery.Attempt);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["EventId"] = e.Id, ["SubscriptionId"] = delivery.SubscriptionId });
        var target = await subscriptions.GetForDeliveryAsync(delivery.SubscriptionId, ct);
        if (target is null || target.Value.Subscription.Status != SubscriptionStatus.Enabled)
        {
            await RecordAsync(delivery, DeliveryOutcome.Refused, null, 0, target is null ? "The subscription no longer exists." : "The subscription is disabled.", null, ct);
            return;
        }

        var (subscription, secrets) = target.Value;
        var payload = e.Payload();
        var timestamp = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", e.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        // During a rotation both secrets sign; receivers accept either (space-separated, as the spec allows).
        request.Headers.Add("webhook-signature", string.Join(' ', secrets.Select(s => new StandardWebhook(s).Sign(e.Id, timestamp, payload))));

        var clock = Stopwatch.StartNew();
        HttpStatusCode? status = null;
        TimeSpan? retryAfter = null;
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await httpFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } date ? date - time.GetUtcNow() : null);
            if (!response.IsSuccessStatusCode)
                error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"No answer within {options.Value.Timeout.TotalSeconds:0} s.";
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
        }
        var duration = clock.ElapsedMilliseconds;

        if (status is { } code && (int)code is >= 200 and < 300)
        {
            await RecordAsync(delivery, DeliveryOutcome.Delivered, (int)code, duration, null, null, ct);
            return;
        }
        if (status == HttpStatusCode.Gone)
        {
            await subscriptions.DisableAsync(subscription.Id, "The receiver answered 410 Gone.", ct);
            await RecordAsync(delivery, DeliveryOutcome.Gone, 410, duration, "410 Gone: subscription disabled.", null, ct);
            LogGone(subscription.Id);
            return;
        }

        var schedule = options.Value.Schedule();
        var next = delivery.Attempt + 1;
        if (next >= schedule.Count)
        {
            await RecordAsync(delivery, DeliveryOutcome.DeadLettered, (int?)status, duration, error, null, ct);
            LogDeadLettered(e.Id, subscription.Id, next);
            return;
        }
        var delay = Jittered(schedule[next]);
        if (status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && retryAfter is { } asked && asked > delay)
            delay = asked < MaxRetryAfter ? asked : MaxRetryAfter;
        await RecordAsync(delivery, DeliveryOutcome.Retrying, (int?)status, duration, error, time.GetUtcNow() + delay, ct);
        await queue.EnqueueAsync(delivery with { Attempt = next }, delay, ct);
    }

    /// <summary>The queue gave up on a delivery message (poison): record it dead-lettered so it can be redelivered.</summary>
    public async Task DeadLetterPoisonAsync(string messageText, CancellationToken ct)
    {
        var delivery = WebhookDelivery.Deserialize(messageText);
        if (delivery is null)
            return;
        await RecordAsync(delivery, DeliveryOutcome.DeadLettered, null, 0, "The delivery failed repeatedly and moved to the poison queue.", null, ct);
    }

    private Task RecordAsync(WebhookDelivery d, string outcome, int? status, long durationMs, string? error, DateTimeOffset? next, CancellationToken ct)
    {
        AlpacaConnectTelemetry.CountDelivery(outcome);
        return log.RecordAsync(new DeliveryAttempt(d.SubscriptionId, d.EventId, d.Type, d.Attempt, outcome, status, durationMs, error, time.GetUtcNow(), next), d.Event, ct);
    }

    /// <summary>±10 %, so retries of many deliveries that failed together do not arrive together.</summary>
    private static TimeSpan Jittered(TimeSpan delay) => delay * (0.9 + Random.Shared.NextDouble() * 0.2);

    [LoggerMessage(LogLevel.Warning, "Subscription {SubscriptionId} answered 410 Gone and is now disabled")]
    private partial void LogGone(string subscriptionId);

    [LoggerMessage(LogLevel.Warning, "Event {EventId} to subscription {SubscriptionId} dead-lettered after {Attempts} attempts")]
    private partial void LogDeadLettered(string eventId, string subscriptionId, int attempts);
}
