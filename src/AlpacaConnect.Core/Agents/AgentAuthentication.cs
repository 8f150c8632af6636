using System.Security.Claims;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Agents;

/// <summary>
/// The MCP endpoint's door: <c>Authorization: Bearer &lt;agent token&gt;</c>, read on every request
/// (so a revoke counts at once). Anything else is 401 with a <c>WWW-Authenticate: Bearer</c> challenge
/// (RFC 6750), the same on both hosts.
/// </summary>
public sealed partial class AgentAuthentication(AgentTokenStore store, TimeProvider time, ILogger<AgentAuthentication> logger)
{
    public const string Realm = "alpaca-connect-mcp";

    /// <summary>True with <see cref="HttpContext.User"/> set to the token's <see cref="AgentIdentity"/>; false once the 401 is written.</summary>
    public async Task<bool> AuthenticateAsync(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        var bearer = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var token = string.IsNullOrEmpty(bearer) ? null : await store.AuthenticateAsync(bearer, time.GetUtcNow(), context.RequestAborted);
        if (token is not null)
        {
            context.User = new ClaimsPrincipal(new AgentIdentity(token));
            return true;
        }

        if (bearer is not null)
            LogRefused();
        context.Response.Headers.WWWAuthenticate = string.IsNullOrEmpty(bearer)
            ? $"Bearer realm=\"{Realm}\""
            : $"Bearer realm=\"{Realm}\", error=\"invalid_token\", error_description=\"The agent token is unknown, expired or revoked.\"";
        await Problems.Create(StatusCodes.Status401Unauthorized, "agent-token", "A valid agent token is required.",
            "Send Authorization: Bearer <agent token>; the app issues tokens with POST /api/agent-tokens.").ExecuteAsync(context);
        return false;
    }

    [LoggerMessage(LogLevel.Information, "MCP request refused: the bearer token is not an active agent token")]
    private partial void LogRefused();
}
