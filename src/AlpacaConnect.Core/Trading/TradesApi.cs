using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Trading;

/// <summary>The trades' HTTP surface: accept (through <see cref="TradeIntake"/>), show, cancel.</summary>
public sealed class TradesApi(
    TradeStore store,
    TradeIntake intake,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
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

    /// <summary>
    /// DELETE /api/trades/{id} (key): cancel at Alpaca, or before submission as soon as it gets there.
    /// Alpaca answers a cancel with 204 and no body, so the order is read back and the trade records
    /// what Alpaca says now (canceled, or still working as pending_cancel) instead of waiting for the sync.
    /// </summary>
    public async Task<IResult> CancelAsync(HttpRequest request, string id)
    {
        var ct = request.HttpContext.RequestAborted;
        if (!TradeIds.TryParse(id, out var userId, out var rowKey))
            return Problems.NotFound($"No trade '{id}'.");
        var sentToAlpaca = false;
        AlpacaOrder? afterCancel = null;
        for (var tries = 0; tries < 3; tries++)
        {
            var trade = await store.GetAsync(userId, rowKey, ct);
            if (trade is null)
                return Problems.NotFound($"No trade '{id}'.");
            if (!trade.IsOpen)
                // Closed meanwhile by someone else who saw our cancel land (the sync, the executor): that is our answer.
                return sentToAlpaca
                    ? JsonBody.Ok(trade.ToTrade(), StatusCodes.Status202Accepted)
                    : Problems.Create(StatusCodes.Status409Conflict, "trade-closed", $"The trade is already {trade.Status}.", "Only open trades can be canceled.");

            // Sent once: a second cancel of the same order would only meet Alpaca's 422.
            if (trade.AlpacaOrderId is not null && !sentToAlpaca)
            {
                var connection = await tokens.GetAsync(userId, trade.AlpacaEnv, ct);
                if (connection is null)
                    return Problems.Create(StatusCodes.Status409Conflict, "connection-inactive", "The connection is no longer active.", "Cancel the order in Alpaca's dashboard.");
                var canceled = await alpaca.CancelOrderAsync(trade.AlpacaEnv, connection.Value.Token, trade.AlpacaOrderId, ct);
                if (!canceled.IsSuccess)
                    return await tokens.RefusedAsync(userId, trade.AlpacaEnv, canceled.Error!, "cancel");
                sentToAlpaca = true;
                // If the read fails, the cancel still stands; the status sync records its outcome.
                var readBack = await alpaca.GetOrderAsync(trade.AlpacaEnv, connection.Value.Token, trade.AlpacaOrderId, ct);
                afterCancel = readBack.IsSuccess ? readBack.Value : null;
            }
            var now = time.GetUtcNow();
            trade.CancelRequested = true;
            trade.Record(trade.Status, now, trade.AlpacaOrderId is null
                ? "cancel requested; the order is canceled as soon as it reaches Alpaca"
                : "cancel sent to Alpaca");
            if (afterCancel is not null)
                trade.Apply(afterCancel, now);
            if (await store.TryUpdateAsync(trade, trade.ETag, ct))
                return JsonBody.Ok(trade.ToTrade(), StatusCodes.Status202Accepted);
        }
        return Problems.Create(StatusCodes.Status409Conflict, "trade-busy", "The trade is changing right now.", "Try the cancel again.");
    }

    private static LocationResult Answer(TradeEntity trade)
    {
        var url = "/api/trades/" + Uri.EscapeDataString(trade.TradeId);
        return new LocationResult(JsonBody.Ok(new TradeAccepted(trade.TradeId, trade.Status, url), StatusCodes.Status202Accepted), url);
    }
}
