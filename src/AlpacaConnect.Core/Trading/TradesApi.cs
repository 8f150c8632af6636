using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Trading;

/// <summary>The trades' HTTP surface: accept (through <see cref="TradeIntake"/>), show, cancel.</summary>
public sealed class TradesApi(
    TradeStore store,
    TradeIntake intake,
    TradeCancellation cancellation,
    TimeProvider time)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public sealed record TradeAccepted(string Id, string Status, string StatusUrl);

    /// <summary>POST /api/trades (key). 202 once recorded and queued; the same key and body answer the same trade.</summary>
    public async Task<IResult> AcceptAsync(HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        string? key = request.Headers[IdempotencyKeyHeader];
        if (string.IsNullOrEmpty(key) || key.Length > 255 || key.Any(c => c is < ' ' or > '~'))
            return Problems.Create(StatusCodes.Status400BadRequest, "idempotency-key", "An Idempotency-Key header is required.",
                "Send a unique Idempotency-Key header (1-255 printable ASCII characters) per trade; a retry with the same key never places a second order.");

        var (body, problem) = await JsonBody.ReadAsync<TradeRequest>(request, ct);
        if (body is null)
            return problem!;

        return await intake.AcceptAsync(body, key, origin: null, ct) switch
        {
            TradeIntake.Invalid invalid => Problems.Validation(invalid.Errors, "Nothing was stored or queued."),
            TradeIntake.Accepted accepted => Answer(accepted.Trade),
            TradeIntake.Replayed replayed => Answer(replayed.Trade),
            _ => Problems.Create(StatusCodes.Status409Conflict, "idempotency-key-reused", "This Idempotency-Key was used for a different trade.",
                "A key names one trade. Use a new key for a new trade, or resend the original body to get the original trade."),
        };
    }

    /// <summary>GET /api/trades/{id} (key): status, history, Alpaca's order id and fills.</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string id)
    {
        if (!TradeIds.TryParse(id, out var userId, out var rowKey))
            return Problems.NotFound($"No trade '{id}'.");
        var trade = await store.GetAsync(userId, rowKey, request.HttpContext.RequestAborted);
        return trade is null ? Problems.NotFound($"No trade '{id}'.") : JsonBody.Ok(trade.ToTrade());
    }

    /// <summary>DELETE /api/trades/{id} (key): see <see cref="TradeCancellation"/>; 202 with the trade as it is now.</summary>
    public async Task<IResult> CancelAsync(HttpRequest request, string id)
    {
        if (!TradeIds.TryParse(id, out var userId, out var rowKey))
            return Problems.NotFound($"No trade '{id}'.");
        return await cancellation.CancelAsync(userId, rowKey, request.HttpContext.RequestAborted) switch
        {
            TradeCancellation.Requested requested => JsonBody.Ok(requested.Trade.ToTrade(), StatusCodes.Status202Accepted),
            TradeCancellation.NotFound => Problems.NotFound($"No trade '{id}'."),
            TradeCancellation.AlreadyClosed closed => Problems.Create(StatusCodes.Status409Conflict, "trade-closed", $"The trade is already {closed.Status}.", "Only open trades can be canceled."),
            TradeCancellation.ConnectionInactive => Problems.Create(StatusCodes.Status409Conflict, "connection-inactive", "The connection is no longer active.", "Cancel the order in Alpaca's dashboard."),
            TradeCancellation.Refused refused => AlpacaRefusals.Problem(refused.Error, "cancel", time.GetUtcNow()),
            _ => Problems.Create(StatusCodes.Status409Conflict, "trade-busy", "The trade is changing right now.", "Try the cancel again."),
        };
    }

    private static LocationResult Answer(TradeEntity trade)
    {
        var url = "/api/trades/" + Uri.EscapeDataString(trade.TradeId);
        return new LocationResult(JsonBody.Ok(new TradeAccepted(trade.TradeId, trade.Status, url), StatusCodes.Status202Accepted), url);
    }
}
