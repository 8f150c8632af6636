using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using AlpacaConnect.Core.Http;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>The event types subscribers can ask for.</summary>
public static class WebhookEventTypes
{
    public const string ConnectionConnected = "connection.connected";
    public const string ConnectionDisconnected = "connection.disconnected";
    public const string ConnectionRevoked = "connection.revoked";
    /// <summary>Alpaca granted a connect that was then refused (e.g. the account is another user's); nothing was stored.</summary>
    public const string ConnectionRefused = "connection.refused";
    public const string TradeAccepted = "trade.accepted";
    public const string TradeSubmitted = "trade.submitted";
    public const string TradeRejected = "trade.rejected";
    public const string TradeFailed = "trade.failed";
    public const string OrderPartiallyFilled = "order.partially_filled";
    public const string OrderFilled = "order.filled";
    public const string OrderCanceled = "order.canceled";
    public const string OrderExpired = "order.expired";
    /// <summary>Sent only by the "send a test event" endpoint.</summary>
    public const string Test = "webhook.test";

    public static readonly IReadOnlyList<string> All =
    [
        ConnectionConnected, ConnectionDisconnected, ConnectionRevoked, ConnectionRefused,
        TradeAccepted, TradeSubmitted, TradeRejected, TradeFailed,
        OrderPartiallyFilled, OrderFilled, OrderCanceled, OrderExpired,
    ];
}

/// <summary>
/// The stable envelope every receiver gets: <c>{"type","timestamp","data"}</c>. The id travels as the
/// <c>webhook-id</c> header, the same on every retry, so receivers can drop duplicates.
/// </summary>
public sealed record WebhookEvent(string Id, string Type, DateTimeOffset Timestamp, JsonObject Data)
{
    public static WebhookEvent Create(string type, DateTimeOffset at, object data) =>
        new("evt_" + Guid.CreateVersion7().ToString("N"), type, at, (JsonObject)JsonSerializer.SerializeToNode(data, JsonBody.Options)!);

    /// <summary>The body that is signed and sent.</summary>
    public string Payload() => JsonSerializer.Serialize(new { type = Type, timestamp = Timestamp, data = Data }, JsonBody.Options);

    public const string RowPrefix = "evt~";

    /// <summary>
    /// The outbox row written in the same entity-group transaction as the change that caused it
    /// (so neither exists without the other). It is fanned out right after the write, or by the
    /// sweep if the process died first, and then marked dispatched.
    /// </summary>
    public TableEntity ToOutboxRow(string partitionKey) => new(partitionKey, RowPrefix + Id)
    {
        ["EventType"] = Type,
        ["EventTimestamp"] = Timestamp,
        ["DataJson"] = Data.ToJsonString(),
        ["Dispatched"] = false,
    };

    public static WebhookEvent FromOutboxRow(TableEntity row) => new(
        row.RowKey[RowPrefix.Length..],
        row.GetString("EventType"),
        row.GetDateTimeOffset("EventTimestamp")!.Value,
        JsonNode.Parse(row.GetString("DataJson"))!.AsObject());
}
