namespace AlpacaConnect.Core.Alpaca;

/// <summary>
/// The two order calls an execution makes: place an order, and find one by its client_order_id
/// (what makes a retry safe). <see cref="AlpacaTradingClient"/> implements it; the execution's
/// unit tests mock it.
/// </summary>
public interface IAlpacaOrders
{
    Task<AlpacaResult<AlpacaOrder>> CreateOrderAsync(AlpacaEnv env, AccessToken token, AlpacaOrderRequest order, CancellationToken ct);

    /// <summary>404 (<see cref="AlpacaErrorKind.NotFound"/>) when no order has that client_order_id.</summary>
    Task<AlpacaResult<AlpacaOrder>> GetOrderByClientOrderIdAsync(AlpacaEnv env, AccessToken token, string clientOrderId, CancellationToken ct);
}
