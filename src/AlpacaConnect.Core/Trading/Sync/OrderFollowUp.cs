using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Follows a submitted order that Alpaca has not ended yet for a short while after it lands, so a
/// fill or a cancel at Alpaca is recorded (and its order.* event published) within seconds instead
/// of at the next status sync: follow-up checks on the trade-executions queue, delayed by
/// <see cref="TradingOptions.FollowUpSchedule"/> (1, 3, 6 s after landing, every 4 s to 30 s, then
/// 60 s), then the sync takes over.
/// A check is one Alpaca read of the order by id; the message carries what the row last recorded,
/// so an unchanged order costs no storage read, only its share of a grouped send, receive and
/// delete (checks due at the same time share a message). A changed one is read, applied and written
/// only if it changed the row; a closed trade ends the chain.
/// </summary>
public sealed partial class OrderFollowUp(
    TradeStore store,
    GroupedTradeQueue queue,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
    IOptions<TradingOptions> options,
    TimeProvider time,
    ILogger<OrderFollowUp> logger)
{
    private readonly IReadOnlyList<TimeSpan> _delays = options.Value.FollowUps();

    /// <summary>The trade's order was just recorded: schedules the first check if Alpaca has not ended it. Never throws for storage: the sync is the safety net.</summary>
    public Task StartAsync(TradeEntity trade, CancellationToken ct) =>
        trade.IsOpen && trade.AlpacaOrderId is not null && !AlpacaOrderStatuses.IsTerminal(trade.AlpacaStatus ?? "")
            ? ScheduleAsync(trade.TradeId, trade.Env, trade.Generation, trade.AlpacaOrderId, trade.AlpacaStatus, trade.FilledQty, step: 1, ct)
            : Task.CompletedTask;

    /// <summary>A follow-up delivery: reads the order at Alpaca, records a change, schedules the next check while the order stays open.</summary>
    public async Task CheckAsync(TradeExecution check, CancellationToken ct)
    {
        var connection = await tokens.GetAsync(check.UserId, check.AlpacaEnv, ct);
        if (connection is null || check.AlpacaOrderId is null)
            return; // the sync says what becomes of a trade whose connection ended
        var read = await alpaca.GetOrderAsync(check.AlpacaEnv, connection.Value.Token, check.AlpacaOrderId, ct);
        if (!read.IsSuccess)
        {
            // A refusal or an outage: the next check (or the sync) tries again; no retries of its own.
            await NextAsync(check, check.AlpacaStatus, check.FilledQty, ct);
            return;
        }
        var order = read.Value!;
        if (order.Status == check.AlpacaStatus && order.FilledQty == check.FilledQty)
        {
            await NextAsync(check, order.Status, order.FilledQty, ct);
            return;
        }

        var trade = await store.GetAsync(check.UserId, check.RowKey, ct);
        if (trade is null || !trade.IsOpen)
            return;
        var before = (trade.Status, trade.FilledQty, trade.HistoryJson);
        trade.Apply(order, time.GetUtcNow());
        // Someone else wrote first (the sync, a cancel): they saw Alpaca too; the chain goes on from here.
        if ((trade.Status, trade.FilledQty, trade.HistoryJson) != before && await store.TryUpdateAsync(trade, trade.ETag, ct))
            LogFollowed(check.TradeId, check.FollowUp, order.Status);
        if (trade.IsOpen)
            await NextAsync(check, order.Status, order.FilledQty, ct);
    }

    private Task NextAsync(TradeExecution check, string? status, string? filledQty, CancellationToken ct) =>
        AlpacaOrderStatuses.IsTerminal(status ?? "")
            ? Task.CompletedTask
            : ScheduleAsync(check.TradeId, check.Env, check.Generation, check.AlpacaOrderId!, status, filledQty, check.FollowUp + 1, ct);

    private async Task ScheduleAsync(string tradeId, string env, int generation, string orderId, string? status, string? filledQty, int step, CancellationToken ct)
    {
        if (step > _delays.Count)
            return;
        var check = new TradeExecution { TradeId = tradeId, Env = env, Generation = generation, FollowUp = step, AlpacaOrderId = orderId, AlpacaStatus = status, FilledQty = filledQty };
        try
        {
            await queue.SendAsync(check, _delays[step - 1], ct);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            LogNotScheduled(tradeId, step, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Trade {TradeId}: follow-up check {Step} found its order {AlpacaStatus} at Alpaca")]
    private partial void LogFollowed(string tradeId, int step, string alpacaStatus);

    [LoggerMessage(LogLevel.Warning, "Trade {TradeId}: follow-up check {Step} could not be queued ({Error}); the status sync follows the order")]
    private partial void LogNotScheduled(string tradeId, int step, string error);
}
