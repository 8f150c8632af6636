using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Alpaca;

/// <summary>
/// Alpaca's Trading API v2 on behalf of one user: the bearer token is per call, the host per env.
/// Reads are retried on transient failures by the resilience pipeline; writes never are (order
/// submission has its own exactly-once path in Trading/).
/// </summary>
public sealed class AlpacaTradingClient(HttpClient http, IOptions<AlpacaOptions> options) : IAlpacaOrders
{
    public Task<AlpacaResult<AlpacaAccount>> GetAccountAsync(AlpacaEnv env, AccessToken token, CancellationToken ct) =>
        SendAsync<AlpacaAccount>(HttpMethod.Get, env, "v2/account", token, ct);

    public Task<AlpacaResult<AlpacaOrder>> CreateOrderAsync(AlpacaEnv env, AccessToken token, AlpacaOrderRequest order, CancellationToken ct) =>
        SendAsync<AlpacaOrder>(HttpMethod.Post, env, "v2/orders", token, ct, JsonContent.Create(order, options: AlpacaJson.Options));

    public Task<AlpacaResult<AlpacaOrder>> GetOrderAsync(AlpacaEnv env, AccessToken token, string orderId, CancellationToken ct) =>
        SendAsync<AlpacaOrder>(HttpMethod.Get, env, $"v2/orders/{Uri.EscapeDataString(orderId)}?nested=true", token, ct);

    /// <summary>404 (<see cref="AlpacaErrorKind.NotFound"/>) when no order has that client_order_id.</summary>
    public Task<AlpacaResult<AlpacaOrder>> GetOrderByClientOrderIdAsync(AlpacaEnv env, AccessToken token, string clientOrderId, CancellationToken ct) =>
        SendAsync<AlpacaOrder>(HttpMethod.Get, env, "v2/orders:by_client_order_id?client_order_id=" + Uri.EscapeDataString(clientOrderId), token, ct);

    public Task<AlpacaResult<List<AlpacaOrder>>> ListOrdersAsync(AlpacaEnv env, AccessToken token, AlpacaOrderQuery query, CancellationToken ct)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["status"] = query.Status,
            ["limit"] = query.Limit.ToString(CultureInfo.InvariantCulture),
            ["direction"] = query.Direction,
            ["nested"] = query.Nested ? "true" : "false",
            ["after"] = query.After?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["until"] = query.Until?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["symbols"] = query.Symbols is { Count: > 0 } symbols ? string.Join(',', symbols) : null,
        };
        var path = QueryHelpers.AddQueryString("v2/orders", parameters.Where(p => p.Value is not null));
        return SendAsync<List<AlpacaOrder>>(HttpMethod.Get, env, path, token, ct);
    }

    /// <summary>204 on success; 422 when the order can no longer be canceled.</summary>
    public Task<AlpacaResult<NoContent>> CancelOrderAsync(AlpacaEnv env, AccessToken token, string orderId, CancellationToken ct) =>
        SendAsync<NoContent>(HttpMethod.Delete, env, $"v2/orders/{Uri.EscapeDataString(orderId)}", token, ct);

    public Task<AlpacaResult<List<AlpacaPosition>>> ListPositionsAsync(AlpacaEnv env, AccessToken token, CancellationToken ct) =>
        SendAsync<List<AlpacaPosition>>(HttpMethod.Get, env, "v2/positions", token, ct);

    public Task<AlpacaResult<AlpacaPosition>> GetPositionAsync(AlpacaEnv env, AccessToken token, string symbol, CancellationToken ct) =>
        SendAsync<AlpacaPosition>(HttpMethod.Get, env, $"v2/positions/{Uri.EscapeDataString(symbol)}", token, ct);

    /// <summary>Closes the whole position with a market order, which Alpaca returns.</summary>
    public Task<AlpacaResult<AlpacaOrder>> ClosePositionAsync(AlpacaEnv env, AccessToken token, string symbol, CancellationToken ct) =>
        SendAsync<AlpacaOrder>(HttpMethod.Delete, env, $"v2/positions/{Uri.EscapeDataString(symbol)}", token, ct);

    public Task<AlpacaResult<AlpacaClock>> GetClockAsync(AlpacaEnv env, AccessToken token, CancellationToken ct) =>
        SendAsync<AlpacaClock>(HttpMethod.Get, env, "v2/clock", token, ct);

    /// <summary>GET /v2/calendar: the trading days from <paramref name="start"/> to <paramref name="end"/> (inclusive), with their sessions.</summary>
    public Task<AlpacaResult<List<AlpacaCalendarDay>>> GetCalendarAsync(AlpacaEnv env, AccessToken token, DateOnly start, DateOnly end, CancellationToken ct) =>
        SendAsync<List<AlpacaCalendarDay>>(HttpMethod.Get, env,
            $"v2/calendar?start={Day(start)}&end={Day(end)}", token, ct);

    /// <summary>The spec types the calendar's start and end as RFC 3339 date-times; the date they name is the day.</summary>
    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z";

    public Task<AlpacaResult<AlpacaAsset>> GetAssetAsync(AlpacaEnv env, AccessToken token, string symbol, CancellationToken ct) =>
        SendAsync<AlpacaAsset>(HttpMethod.Get, env, $"v2/assets/{Uri.EscapeDataString(symbol)}", token, ct);

    private async Task<AlpacaResult<T>> SendAsync<T>(HttpMethod method, AlpacaEnv env, string pathAndQuery, AccessToken token, CancellationToken ct, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, new Uri($"{options.Value.ApiUrl(env).AbsoluteUri.TrimEnd('/')}/{pathAndQuery}")) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return await AlpacaHttp.SendAsync<T>(http, request, ct);
    }
}
