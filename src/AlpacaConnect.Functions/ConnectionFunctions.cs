using AlpacaConnect.Core.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

public sealed class ConnectionFunctions(ConnectionsApi connections)
{
    [Function("ListConnections")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{userId}")] HttpRequest request, string userId) =>
        connections.ListAsync(request, userId);

    [Function("Disconnect")]
    public Task<IResult> Disconnect(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "connections/{userId}/{env}")] HttpRequest request, string userId, string env) =>
        connections.DisconnectAsync(request, userId, env);
}
