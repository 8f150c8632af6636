using System.Diagnostics;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Accepting a trade, whoever asks: the trade API (POST /api/trades) and agents (place_trade). It
/// validates the request, checks the connection and its trading scope, records the trade under its
/// idempotency key (raising trade.accepted) and hands it to execution. Nothing is stored or queued
/// for a refused request.
/// </summary>
public sealed partial class TradeIntake(
    TradeDispatch dispatch,
    ConnectionTokens tokens,
    TimeProvider time,
    ILogger<TradeIntake> logger)
{
    public abstract record Outcome;

    /// <summary>Recorded and queued now.</summary>
    public sealed record Accepted(TradeEntity Trade) : Outcome;

    /// <summary>The key was used before for the same request: this is that trade, nothing new was recorded.</summary>
    public sealed record Replayed(TradeEntity Trade) : Outcome;

    /// <summary>The key names another trade (another request was accepted under it).</summary>
    public sealed record KeyConflict(TradeEntity Existing) : Outcome;

    /// <summary>Every problem with the request, keyed by field ("order.qty", "connection").</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors) : Outcome;

    /// <param name="origin">Who placed it, recorded on the trade ("agent:&lt;token id&gt;"); null for the trade API.</param>
    public async Task<Outcome> AcceptAsync(TradeRequest request, string idempotencyKey, string? origin, CancellationToken ct)
    {
        var errors = await CheckAsync(request, ct);
        if (errors.Count > 0)
            return new Invalid(errors);

        var trade = NewTrade(request, idempotencyKey, origin);
        return Settle(await dispatch.AcceptAsync(trade, ct));
    }

    /// <summary>Every problem with the request: the order's own, then the connection (active, with the trading scope).</summary>
    internal async Task<Dictionary<string, string[]>> CheckAsync(TradeRequest request, CancellationToken ct)
    {
        var errors = TradeValidator.Validate(request);
        if (errors.Count == 0)
        {
            var env = AlpacaEnvNames.TryParse(request.Env, out var e) ? e : default;
            var connection = await tokens.GetAsync(request.UserId, env, ct);
            if (connection is null)
                errors["connection"] = [$"User '{request.UserId}' has no active {request.Env} connection. Connect the account first."];
            else if (!connection.Value.Connection.HasScope("trading"))
                errors["connection"] = [$"The {request.Env} connection was granted '{connection.Value.Connection.Scopes}' without the 'trading' scope. Reconnect with the trading scope."];
        }
        return errors;
    }

    /// <summary>The trade row for a checked request, under its idempotency key, with trade.accepted raised.</summary>
    internal TradeEntity NewTrade(TradeRequest request, string idempotencyKey, string? origin)
    {
        var trade = TradeEntity.Accepted(request.UserId, TradeIds.RowKeyFor(idempotencyKey), request.Env, request.Order, time.GetUtcNow(), TradeIds.BodyHash(request), origin);
        trade.RaiseAccepted();
        return trade;
    }

    /// <summary>What the insert came to, for the caller.</summary>
    internal Outcome Settle(TradeStore.AcceptOutcome outcome)
    {
        switch (outcome)
        {
            case TradeStore.Accepted accepted:
                var trade = accepted.Trade;
                AlpacaConnectTelemetry.CountTrade(TradeStatus.Accepted);
                Activity.Current?.SetTag("trade.id", trade.TradeId).SetTag("user.id", trade.PartitionKey);
                LogAccepted(trade.TradeId, trade.PartitionKey, trade.Env);
                return new Accepted(trade);
            case TradeStore.KeyUsed { SameBody: true } used:
                return new Replayed(used.Trade);
            case TradeStore.KeyUsed used:
                return new KeyConflict(used.Trade);
            default:
                throw new InvalidOperationException("Unknown accept outcome.");
        }
    }

    [LoggerMessage(LogLevel.Information, "Trade {TradeId} accepted for user {UserId} on {Env}")]
    private partial void LogAccepted(string tradeId, string userId, string env);
}
