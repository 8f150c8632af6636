using AlpacaConnect.Core.Connect;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>The Connect flow's triggers: bind, call Core, return its result.</summary>
public sealed class ConnectFunctions(ConnectApi connect)
{
    [Function("CreateConnectLink")]
    public Task<IResult> CreateLink([HttpTrigger(AuthorizationLevel.Function, "post", Route = "connect-links")] HttpRequest request) =>
        connect.CreateLinkAsync(request);

    [Function("Authorize")]
    public Task<IResult> Authorize([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "oauth/authorize")] HttpRequest request) =>
        connect.AuthorizeAsync(request);

    [Function("OAuthCallback")]
    public Task<IResult> Callback([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "oauth/callback")] HttpRequest request) =>
        connect.CallbackAsync(request);
}
