using AlpacaConnect.Core.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

public static class OpenApiFunction
{
    [Function("GetOpenApiDocument")]
    public static IResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        OpenApiDocument.Result(request);
}
