using AlpacaConnect.Core.Agents;
using AlpacaConnect.Core.Api;
using AlpacaConnect.Core.Http;

namespace AlpacaConnect.Server;

/// <summary>
/// Every endpoint of <see cref="ApiCatalog"/> under /api, with the same methods and auth levels as
/// the Functions app (a test compares the catalog with the Functions metadata).
/// </summary>
internal static class ApiRoutes
{
    public static void MapApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");
        foreach (var endpoint in ApiCatalog.All)
        {
            var route = api.MapMethods("/" + endpoint.Route, [endpoint.Method], (HttpRequest request) => endpoint.Handle(request))
                .WithName(endpoint.Name);
            // Function-level auth: the caller's key is checked first. Anonymous endpoints are for browsers and probes.
            if (endpoint.Keyed)
                route.AddEndpointFilter<FunctionKeyFilter>();
        }

        // MCP for agents, mapped by the SDK (Streamable HTTP, stateless); the agent's bearer token is checked first.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/" + McpEndpoint.Route), mcp => mcp.Use(async (context, next) =>
        {
            if (await context.RequestServices.GetRequiredService<AgentAuthentication>().AuthenticateAsync(context))
                await next(context);
        }));
        api.MapMcp("/" + McpEndpoint.Route);

        app.MapFallback(() => Problems.NotFound("No such route. The API lives under /api; its description is /api/openapi.json."));
    }
}
