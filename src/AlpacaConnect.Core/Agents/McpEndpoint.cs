using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AlpacaConnect.Core.Agents;

/// <summary>
/// The MCP endpoint (/api/mcp, Streamable HTTP, stateless) for a host that cannot map it itself: the
/// Functions app's HTTP trigger. The SDK's HTTP handler is internal and is reached only through
/// <c>MapMcp</c>, so this maps the SDK's endpoints once on a private route builder over the app's
/// services and keeps the delegate of its POST endpoint; each request then runs, on the trigger's
/// own HttpContext, the very code the Server runs behind MapMcp (Accept and protocol-version checks,
/// a stateless McpServer per request, the SSE answer). Only the bearer check comes first.
/// </summary>
public sealed class McpEndpoint(IServiceProvider services, AgentAuthentication authentication)
{
    public const string Route = "mcp";

    private readonly Lazy<RequestDelegate> _post = new(() => SdkPostHandler(services));

    /// <summary>What the trigger returns: executing it authenticates and hands the request to the SDK.</summary>
    public IResult Handle(HttpRequest request) => new McpResult(this);

    public async Task InvokeAsync(HttpContext context)
    {
        if (await authentication.AuthenticateAsync(context))
            await _post.Value(context);
    }

    private static RequestDelegate SdkPostHandler(IServiceProvider services)
    {
        var routes = new PrivateRoutes(services);
        routes.MapMcp();
        var post = routes.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Single(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Post) == true);
        return post.RequestDelegate ?? throw new InvalidOperationException("The SDK's MCP endpoint has no request delegate.");
    }

    private sealed class McpResult(McpEndpoint endpoint) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => endpoint.InvokeAsync(httpContext);
    }

    private sealed class PrivateRoutes(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;
        public ICollection<EndpointDataSource> DataSources { get; } = [];
        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}
