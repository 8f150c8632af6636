using AlpacaConnect.Core.Agents;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Agents: the app's agent-token API (key) and the MCP endpoint the agents call (their bearer token is the auth).</summary>
public sealed class AgentFunctions(AgentTokensApi agentTokens, McpEndpoint mcp)
{
    [Function("CreateAgentToken")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Function, "post", Route = "agent-tokens")] HttpRequest request) =>
        agentTokens.CreateAsync(request);

    [Function("ListAgentTokens")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = "agent-tokens")] HttpRequest request) =>
        agentTokens.ListAsync(request);

    [Function("RevokeAgentToken")]
    public Task<IResult> Revoke([HttpTrigger(AuthorizationLevel.Function, "delete", Route = "agent-tokens/{id}")] HttpRequest request, string id) =>
        agentTokens.RevokeAsync(request, id);

    /// <summary>
    /// Anonymous at the host: MCP clients send only Authorization: Bearer, which <see cref="McpEndpoint"/>
    /// checks before the SDK's Streamable HTTP handler runs on this request (stateless: POST only).
    /// </summary>
    [Function("Mcp")]
    public IResult Mcp([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = McpEndpoint.Route)] HttpRequest request) =>
        mcp.Handle(request);
}
