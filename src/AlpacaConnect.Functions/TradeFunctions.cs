using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Trades: the HTTP edge, the queue that submits, and the timer that follows orders.</summary>
public sealed class TradeFunctions(TradesApi trades, BrokerageReadsApi reads, TradeExecutor executor, TradeStatusSync sync)
{
    [Function("AcceptTrade")]
    public Task<IResult> Accept([HttpTrigger(AuthorizationLevel.Function, "post", Route = "trades")] HttpRequest request) =>
        trades.AcceptAsync(request);

    [Function("GetTrade")]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "trades/{id}")] HttpRequest request, string id) =>
        trades.GetAsync(request, id);

    [Function("CancelTrade")]
    public Task<IResult> Cancel([HttpTrigger(AuthorizationLevel.Function, "delete", Route = "trades/{id}")] HttpRequest request, string id) =>
        trades.CancelAsync(request, id);

    [Function("GetAccount")]
    public Task<IResult> Account(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{userId}/{env}/account")] HttpRequest request, string userId, string env) =>
        reads.AccountAsync(request, userId, env);

    [Function("GetPositions")]
    public Task<IResult> Positions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{userId}/{env}/positions")] HttpRequest request, string userId, string env) =>
        reads.PositionsAsync(request, userId, env);

    [Function("GetOrders")]
    public Task<IResult> Orders(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{userId}/{env}/orders")] HttpRequest request, string userId, string env) =>
        reads.OrdersAsync(request, userId, env);

    /// <summary>
    /// Throwing lets the host retry (visibility timeout) and, after Trading:MaxDequeueCount deliveries,
    /// poison the message (QueuePoisoning; host.json's maxDequeueCount is the bound). Queue age: QueueAge.
    /// </summary>
    [Function("ExecuteTrade")]
    public Task Execute([QueueTrigger(Queues.TradeExecutions)] string message, long dequeueCount, CancellationToken cancellationToken) =>
        executor.ExecuteAsync(Queues.AsText(message), dequeueCount, cancellationToken);

    /// <summary>Completing deletes the message: the executor has settled its trade or kept it as a dead letter first.</summary>
    [Function("SettlePoisonedTrade")]
    public Task SettlePoison([QueueTrigger(Queues.TradeExecutions + Queues.PoisonSuffix)] string message, string id, CancellationToken cancellationToken) =>
        executor.SettlePoisonAsync(Queues.AsText(message), id, cancellationToken);

    [Function("SyncTradeStatus")]
    public Task Sync([TimerTrigger("%Trading:StatusSyncSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        sync.RunAsync(cancellationToken);
}
