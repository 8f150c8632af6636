using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Secrets;

namespace AlpacaConnect.Core.Trading;

/// <summary>Our statuses: Alpaca's many order statuses folded into what a caller acts on.</summary>
public static class TradeStatus
{
    /// <summary>Recorded and queued; not yet at Alpaca (or not yet confirmed there).</summary>
    public const string Accepted = "accepted";
    /// <summary>Alpaca has the order and it is working.</summary>
    public const string Submitted = "submitted";
    public const string PartiallyFilled = "partially_filled";
    public const string Filled = "filled";
    public const string Canceled = "canceled";
    public const string Expired = "expired";
    /// <summary>Alpaca refused the order (403/422), with its reason.</summary>
    public const string Rejected = "rejected";
    /// <summary>We could not get an answer we trust (revoked token, retries exhausted, poison).</summary>
    public const string Failed = "failed";

    public static bool IsOpen(string status) => status is Accepted or Submitted or PartiallyFilled;

    /// <summary>Where an Alpaca order status leaves the trade.</summary>
    public static string FromAlpaca(AlpacaOrder order) => order.Status switch
    {
        "filled" => Filled,
        "canceled" => Canceled,
        "replaced" => Canceled,
        "expired" => Expired,
        "rejected" => Rejected,
        "partially_filled" => PartiallyFilled,
        _ when decimal.TryParse(order.FilledQty, System.Globalization.CultureInfo.InvariantCulture, out var filled) && filled > 0 => PartiallyFilled,
        _ => Submitted,
    };
}

public sealed record TradeEvent(string Status, DateTimeOffset At, string? Detail = null);

/// <summary>A trade as GET /api/trades/{id} shows it.</summary>
public sealed record Trade
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string Env { get; init; }
    public required string Status { get; init; }
    public required TradeOrder Order { get; init; }
    public required string ClientOrderId { get; init; }
    public string? AlpacaOrderId { get; init; }
    public string? AlpacaStatus { get; init; }
    public string? FilledQty { get; init; }
    public string? FilledAvgPrice { get; init; }
    public DateTimeOffset? FilledAt { get; init; }
    public string? Reason { get; init; }
    public bool CancelRequested { get; init; }
    /// <summary>Who placed it ("agent:&lt;token id&gt;"); absent for trades that came through the trade API.</summary>
    public string? Origin { get; init; }
    public required IReadOnlyList<TradeEvent> History { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// Trade ids locate their row: "{userId}~{row key}", partition = user id, row = a hash of the
/// idempotency key. client_order_id is derived from the row key, so every retry of one trade carries
/// the same one. The body hash tells a retry (same key, same body) from a reuse of the key.
/// </summary>
public static class TradeIds
{
    public const char Separator = '~';

    /// <summary>A trade's row key: its idempotency key, hashed (32 hex digits), so the key cannot name two trades.</summary>
    public static string RowKeyFor(string idempotencyKey) => Hashing.Sha256Hex("idempotency-key:" + idempotencyKey)[..32];

    /// <summary>Stable hash of the parsed request, so the same order in other whitespace is still "the same body".</summary>
    public static string BodyHash(TradeRequest request) => Hashing.Sha256Hex(JsonSerializer.Serialize(request, JsonBody.Options));

    public static string Compose(string userId, string rowKey) => $"{userId}{Separator}{rowKey}";

    public const string ClientOrderIdPrefix = "acf-";

    public static string ClientOrderId(string rowKey) => ClientOrderIdPrefix + rowKey;

    /// <summary>The row key a client_order_id of ours names; false for anyone else's.</summary>
    public static bool TryParseClientOrderId(string clientOrderId, out string rowKey)
    {
        rowKey = clientOrderId.StartsWith(ClientOrderIdPrefix, StringComparison.Ordinal) ? clientOrderId[ClientOrderIdPrefix.Length..] : "";
        return rowKey.Length == 32 && rowKey.All(char.IsAsciiHexDigitLower);
    }

    public static bool TryParse(string? tradeId, out string userId, out string rowKey)
    {
        userId = rowKey = "";
        var at = tradeId?.LastIndexOf(Separator) ?? -1;
        if (at <= 0)
            return false;
        userId = tradeId![..at];
        rowKey = tradeId[(at + 1)..];
        return UserIds.IsValid(userId) && rowKey.Length == 32 && rowKey.All(char.IsAsciiHexDigitLower);
    }
}
