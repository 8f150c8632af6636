using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Connections;

/// <summary>The connections' HTTP surface: list a user's connections, disconnect one.</summary>
public sealed class ConnectionsApi(ConnectionStore store, ConnectionTokens tokens)
{
    public sealed record ConnectionList(string UserId, IReadOnlyList<Connection> Connections);

    /// <summary>GET /api/connections/{userId} (key). Never includes a token.</summary>
    public async Task<IResult> ListAsync(HttpRequest request, string userId)
    {
        if (!UserIds.IsValid(userId))
            return Problems.Validation(new Dictionary<string, string[]> { ["user_id"] = [$"Must be {UserIds.Rule}."] });
        var connections = await store.ListAsync(userId, request.HttpContext.RequestAborted);
        return JsonBody.Ok(new ConnectionList(userId, connections));
    }

    /// <summary>DELETE /api/connections/{userId}/{env} (key): removes the token; the record stays as disconnected.</summary>
    public async Task<IResult> DisconnectAsync(HttpRequest request, string userId, string env)
    {
        var errors = new Dictionary<string, string[]>();
        var alpacaEnv = UserIds.Check(userId, env, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);

        tokens.Forget(userId, alpacaEnv);
        return await store.DisconnectAsync(userId, alpacaEnv, request.HttpContext.RequestAborted)
            ? Results.NoContent()
            : Problems.NotFound($"User '{userId}' has no {env} connection.");
    }
}
