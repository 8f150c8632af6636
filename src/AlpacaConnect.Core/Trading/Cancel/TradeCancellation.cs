using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Cancels a trade: at Alpaca, or before submission as soon as it gets there. Alpaca answers a
/// cancel with 204 and no body, so the order is read back and the trade records what Alpaca says
/// now (canceled, or still working as pending_cancel) instead of waiting for the sync.
/// </summary>
public sealed class TradeCancellation(TradeStore store, ConnectionTokens tokens, AlpacaTradingClient alpaca, TimeProvider time)
{
    public abstract record Outcome;
    /// <summary>The cancel is recorded (and sent, if the order was at Alpaca); the trade as it is now.</summary>
    public sealed record Requested(TradeEntity Trade) : Outcome;
    public sealed record NotFound : Outcome;
    public sealed record AlreadyClosed(string Status) : Outcome;
    public sealed record ConnectionInactive : Outcome;
    /// <summary>Alpaca refused the cancel (a 401 has already marked the connection revoked).</summary>
    public sealed record Refused(AlpacaError Error) : Outcome;
    /// <summary>Others kept writing the trade; nothing was recorded.</summary>
    public sealed record Busy : Outcome;

    public async Task<Outcome> CancelAsync(string userId, string rowKey, CancellationToken ct)
    {
        var sentToAlpaca = false;
        AlpacaOrder? afterCancel = null;
        for (var tries = 0; tries < 3; tries++)
        {
            var trade = await store.GetAsync(userId, rowKey, ct);
            if (trade is null)
                return new NotFound();
            if (!trade.IsOpen)
                // Closed meanwhile by someone else who saw our cancel land (the sync, the executor): that is our answer.
                return sentToAlpaca ? new Requested(trade) : new AlreadyClosed(trade.Status);

            // Sent once: a second cancel of the same order would only meet Alpaca's 422.
            if (trade.AlpacaOrderId is not null && !sentToAlpaca)
            {
                var connection = await tokens.GetAsync(userId, trade.AlpacaEnv, ct);
                if (connection is null)
                    return new ConnectionInactive();
                var canceled = await alpaca.CancelOrderAsync(trade.AlpacaEnv, connection.Value.Token, trade.AlpacaOrderId, ct);
                if (!canceled.IsSuccess)
                {
                    if (canceled.Error!.Kind == AlpacaErrorKind.Unauthorized)
                        await tokens.RevokeAsync(userId, trade.AlpacaEnv, CancellationToken.None);
                    return new Refused(canceled.Error);
                }
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
                return new Requested(trade);
        }
        return new Busy();
    }
}
