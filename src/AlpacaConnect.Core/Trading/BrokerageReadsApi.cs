using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// GET /api/connections/{userId}/{env}/account|positions|orders (key): Alpaca's own answers, read
/// through the user's token, for chat bots that show a balance or the open orders.
/// </summary>
public sealed class BrokerageReadsApi(ConnectionTokens tokens, AlpacaTradingClient alpaca)
{
    private static readonly string[] OrderStatuses = ["open", "closed", "all"];

    public Task<IResult> AccountAsync(HttpRequest request, string userId, string env) =>
        ReadAsync(request, userId, env, (e, token, ct) => alpaca.GetAccountAsync(e, token, ct), "account read");

    public Task<IResult> PositionsAsync(HttpRequest request, string userId, string env) =>
        ReadAsync(request, userId, env, (e, token, ct) => alpaca.ListPositionsAsync(e, token, ct), "positions read");

    public Task<IResult> OrdersAsync(HttpRequest request, string userId, string env)
    {
        string status = request.Query["status"].FirstOrDefault() ?? "open";
        string limitText = request.Query["limit"].FirstOrDefault() ?? "50";
        var errors = new Dictionary<string, string[]>();
        if (!OrderStatuses.Contains(status))
            errors["status"] = ["Must be open, closed or all."];
        if (!int.TryParse(limitText, out var limit) || limit is < 1 or > 500)
            errors["limit"] = ["Must be a whole number from 1 to 500."];
        if (errors.Count > 0)
            return Task.FromResult<IResult>(Problems.Validation(errors));
        var query = new AlpacaOrderQuery { Status = status, Limit = limit, Nested = true };
        return ReadAsync(request, userId, env, (e, token, ct) => alpaca.ListOrdersAsync(e, token, query, ct), "orders read");
    }

    private async Task<IResult> ReadAsync<T>(HttpRequest request, string userId, string env,
        Func<AlpacaEnv, AccessToken, CancellationToken, Task<AlpacaResult<T>>> read, string what)
    {
        var ct = request.HttpContext.RequestAborted;
        var errors = new Dictionary<string, string[]>();
        var alpacaEnv = UserIds.Check(userId, env, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);

        var connection = await tokens.GetAsync(userId, alpacaEnv, ct);
        if (connection is null)
            return Problems.NotFound($"User '{userId}' has no active {env} connection.");
        var result = await read(alpacaEnv, connection.Value.Token, ct);
        return result.IsSuccess
            ? Results.Json(result.Value, AlpacaJson.Options)
            : await tokens.RefusedAsync(userId, alpacaEnv, result.Error!, what);
    }
}
