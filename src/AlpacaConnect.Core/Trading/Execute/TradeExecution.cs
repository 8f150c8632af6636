using System.Text.Json;
using System.Text.Json.Serialization;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Storage;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// The queue message that submits one trade. In full it carries everything the trade row held when
/// it was accepted, plus that row's ETag, so the executor submits without reading storage first
/// (round trips are the budget) and still learns, from a failed ETag match, that something (a
/// cancel) changed the trade meanwhile. A reference (no <see cref="Order"/>) names the trade only:
/// it is for deliveries that must read the row anyway (a re-queue by the sync).
/// </summary>
public sealed record TradeExecution
{
    public int V { get; init; } = 1;
    public required string TradeId { get; init; }
    public required string Env { get; init; }

    /// <summary>The order as accepted; null in a reference, which the executor resolves from the row.</summary>
    public TradeOrder? Order { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public DateTimeOffset AcceptedAt { get; init; }

    /// <summary>The row's ETag when the message was made (with <see cref="Order"/>).</summary>
    public string? ETag { get; init; }

    /// <summary>The accepted request's hash, so a row rebuilt from this message keeps it.</summary>
    public string? BodyHash { get; init; }

    /// <summary>The trade's origin, so a row rebuilt from this message keeps it.</summary>
    public string? Origin { get; init; }

    /// <summary>Transient failures so far; 0 for the first try. Above 0 the order may exist: look before sending.</summary>
    public int Attempt { get; init; }

    /// <summary>
    /// The accepting process tries this message inline before the queue delivers it (see
    /// <see cref="TradeDispatch"/>), so even the queue's first delivery may follow a send: look first.
    /// </summary>
    public bool Inline { get; init; }

    /// <summary>The trade's <see cref="TradeEntity.Generation"/> this message belongs to; another one on the row means it was superseded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Generation { get; init; }

    /// <summary>
    /// Not an execution but the n-th follow-up check (1 = the first) of the trade's order at Alpaca
    /// (<see cref="OrderFollowUp"/>), with what the row last recorded of it, so a check that finds
    /// the order unchanged reads no storage.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int FollowUp { get; init; }

    public string? AlpacaOrderId { get; init; }
    public string? AlpacaStatus { get; init; }
    public string? FilledQty { get; init; }

    [JsonIgnore] public string UserId => TradeId[..TradeId.LastIndexOf(TradeIds.Separator)];
    [JsonIgnore] public string RowKey => TradeId[(TradeId.LastIndexOf(TradeIds.Separator) + 1)..];
    [JsonIgnore] public AlpacaEnv AlpacaEnv => Env == "live" ? AlpacaEnv.Live : AlpacaEnv.Paper;

    /// <summary>The message for a trade as just accepted (its ETag is the accept-time one).</summary>
    public static TradeExecution For(TradeEntity trade) => new()
    {
        TradeId = trade.TradeId,
        Env = trade.Env,
        Order = trade.Order,
        AcceptedAt = trade.CreatedAt,
        ETag = trade.ETag.ToString(),
        BodyHash = trade.BodyHash,
        Origin = trade.Origin,
        Generation = trade.Generation,
    };

    /// <summary>
    /// A message naming the trade only; its delivery reads the row. A third of a full message's size,
    /// and Azurite's cost of a send grows with it.
    /// </summary>
    public static TradeExecution Reference(TradeEntity trade) => new() { TradeId = trade.TradeId, Env = trade.Env, Generation = trade.Generation };

    /// <summary>A re-queued execution (the sync's safety net, of the trade's new generation): the order may exist, so it looks first.</summary>
    public static TradeExecution Retry(TradeEntity trade) => Reference(trade) with { Attempt = 1 };

    public string Serialize() => QueueMessageJson.Serialize(this);

    public static TradeExecution? Deserialize(string json) => QueueMessageJson.Deserialize<TradeExecution>(json, IsValid);

    /// <summary>
    /// One message for several trades (a group commit, <see cref="GroupedTradeQueue"/>); a single
    /// trade is written as its own message, as before, so older readers and every other sender agree.
    /// </summary>
    public static string Serialize(IReadOnlyList<TradeExecution> messages) =>
        messages.Count == 1 ? messages[0].Serialize() : QueueMessageJson.Serialize(new TradeExecutionGroup { Trades = messages });

    /// <summary>The executions a message carries: one, or a group's; null when it is neither (unreadable).</summary>
    public static IReadOnlyList<TradeExecution>? ReadAll(string json)
    {
        if (Deserialize(json) is { } single)
            return [single];
        return QueueMessageJson.Deserialize<TradeExecutionGroup>(json, g => g.V == 1 && g.Trades.Count > 0 && g.Trades.All(IsValid))?.Trades;
    }

    private static bool IsValid(TradeExecution m) => m.V == 1 && TradeIds.TryParse(m.TradeId, out _, out _);
}

/// <summary>Several trades' executions in one queue message; each is handled as if it had come alone.</summary>
public sealed record TradeExecutionGroup
{
    public int V { get; init; } = 1;
    public required IReadOnlyList<TradeExecution> Trades { get; init; }
}
