using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AlpacaConnect.Core.Telemetry;

/// <summary>
/// The app's own traces and metrics. Names follow OpenTelemetry conventions; tags never carry a
/// token or secret (ids only).
/// </summary>
public static class AlpacaConnectTelemetry
{
    public const string Name = "AlpacaConnect";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    /// <summary>Trades by outcome: accepted, submitted, rejected, failed.</summary>
    public static readonly Counter<long> Trades = Meter.CreateCounter<long>("alpaca_connect.trades", description: "Trades by outcome");

    /// <summary>Webhook delivery attempts by outcome: delivered, retrying, dead_lettered, gone, refused.</summary>
    public static readonly Counter<long> WebhookDeliveries = Meter.CreateCounter<long>("alpaca_connect.webhook.deliveries", description: "Webhook delivery attempts by outcome");

    /// <summary>Calls to Alpaca: latency by operation and HTTP status (0 = no answer).</summary>
    public static readonly Histogram<double> AlpacaRequestDuration = Meter.CreateHistogram<double>("alpaca_connect.alpaca.request.duration", unit: "ms", description: "Alpaca API call latency");

    /// <summary>How long a message waited in its queue before a handler took it.</summary>
    public static readonly Histogram<double> QueueAge = Meter.CreateHistogram<double>("alpaca_connect.queue.age", unit: "s", description: "Queue message age when handled");

    /// <summary>Trades run inline by the accepting process: "done", or "handed-to-sync" when the status sync finishes them.</summary>
    public static readonly Counter<long> InlineExecutions = Meter.CreateCounter<long>("alpaca_connect.trades.inline", description: "Inline trade executions by outcome");

    /// <summary>
    /// Orders at Alpaca with this app's client_order_id prefix and no trade row (storage lost an
    /// acknowledged write), seen by the status sync; tagged by env, never by user or token.
    /// </summary>
    public static readonly Counter<long> OrphanOrders = Meter.CreateCounter<long>("alpaca_connect.trades.orphan_orders", description: "Orders at Alpaca with no trade row");

    public static void CountOrphanOrder(string env) => OrphanOrders.Add(1, new KeyValuePair<string, object?>("env", env));

    public static void CountInlineExecution(string outcome) => InlineExecutions.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void CountTrade(string outcome) => Trades.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void CountDelivery(string outcome) => WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void RecordQueueAge(string queue, DateTimeOffset? insertedAt, DateTimeOffset now)
    {
        if (insertedAt is { } at)
            QueueAge.Record(Math.Max(0, (now - at).TotalSeconds), new KeyValuePair<string, object?>("queue", queue));
    }
}
