using System.Text.Json;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Agents;

/// <summary>POST/GET /api/agent-tokens, DELETE /api/agent-tokens/{id} (key): the app issues, lists and revokes its users' agent tokens.</summary>
public sealed partial class AgentTokensApi(AgentTokenStore store, TimeProvider time, ILogger<AgentTokensApi> logger)
{
    /// <summary>The longest a token may live: an agent's access is renewed by the app, not kept forever.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(90);

    public async Task<IResult> CreateAsync(HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<CreateAgentTokenRequest>(request, ct);
        if (body is null)
            return problem!;
        var now = time.GetUtcNow();
        var errors = Validate(body, now);
        if (errors.Count > 0)
            return Problems.Validation(errors, "No token was issued.");

        var rowKey = AgentTokenIds.NewRowKey();
        var token = AgentTokenIds.NewToken(body.UserId, rowKey);
        var entity = new AgentTokenEntity
        {
            PartitionKey = body.UserId,
            RowKey = rowKey,
            TokenHash = AgentTokenIds.Hash(token),
            Envs = string.Join(',', body.Envs.Distinct()),
            Tools = body.Tools is null ? null : string.Join(',', body.Tools.Distinct()),
            LimitsJson = JsonSerializer.Serialize(body.Limits ?? new AgentLimits(), JsonBody.Options),
            ExpiresAt = body.ExpiresAt,
            CreatedAt = now,
        };
        await store.AddAsync(entity, ct);
        LogIssued(entity.Id, body.UserId);
        return JsonBody.Ok(new AgentTokenCreated(entity.ToView(now), token), StatusCodes.Status201Created);
    }

    public async Task<IResult> ListAsync(HttpRequest request)
    {
        string? userId = request.Query["user_id"].FirstOrDefault();
        if (!UserIds.IsValid(userId))
            return Problems.Validation(new Dictionary<string, string[]> { ["user_id"] = ["Required: the app's user id (1-128 of A-Z a-z 0-9 . _ @ + -)."] });
        var now = time.GetUtcNow();
        var tokens = await store.ListAsync(userId!, request.HttpContext.RequestAborted);
        return JsonBody.Ok(new AgentTokenList(userId!, tokens.OrderBy(t => t.CreatedAt).Select(t => t.ToView(now)).ToList()));
    }

    public async Task<IResult> RevokeAsync(HttpRequest request, string id)
    {
        if (!AgentTokenIds.TryParse(id, out var userId, out var rowKey)
            || !await store.RevokeAsync(userId, rowKey, time.GetUtcNow(), request.HttpContext.RequestAborted))
            return Problems.NotFound($"No agent token '{id}'.");
        LogRevoked(id, userId);
        return TypedResults.NoContent();
    }

    private static Dictionary<string, string[]> Validate(CreateAgentTokenRequest body, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (!UserIds.IsValid(body.UserId))
            errors["user_id"] = ["1-128 characters of A-Z a-z 0-9 . _ @ + -."];
        if (body.Envs.Count == 0 || body.Envs.Any(e => !AlpacaEnvNames.TryParse(e, out _)))
            errors["envs"] = ["One or more of paper, live."];
        if (body.ExpiresAt <= now)
            errors["expires_at"] = ["Must be in the future."];
        else if (body.ExpiresAt > now + MaxLifetime)
            errors["expires_at"] = [$"At most {MaxLifetime.TotalDays:0} days ahead; issue a new token to extend."];
        if (body.Tools is { } tools)
        {
            var unknown = tools.Where(t => !AgentTools.Names.Contains(t)).ToList();
            if (tools.Count == 0)
                errors["tools"] = ["Leave tools out for every tool, or name at least one."];
            else if (unknown.Count > 0)
                errors["tools"] = [$"Unknown tools: {string.Join(", ", unknown)}. Known: {string.Join(", ", AgentTools.Names)}."];
        }
        if (body.Limits is { } limits)
        {
            if (limits.Mode is not (AgentLimits.ReadOnly or AgentLimits.Trading))
                errors["limits.mode"] = ["read_only or trading."];
            if (limits.MaxNotionalPerOrder is not null && limits.PerOrder is not > 0)
                errors["limits.max_notional_per_order"] = ["A positive amount."];
            if (limits.MaxNotionalPerDay is not null && limits.PerDay is not > 0)
                errors["limits.max_notional_per_day"] = ["A positive amount."];
            if (limits.AllowedSymbols is { } symbols && (symbols.Count == 0 || symbols.Any(s => !Symbol().IsMatch(s))))
                errors["limits.allowed_symbols"] = ["Uppercase tickers such as AAPL or BRK.B; leave the list out to allow any."];
        }
        return errors;
    }

    [GeneratedRegex("^[A-Z][A-Z0-9]{0,9}([./][A-Z0-9]{1,5})?$")]
    private static partial Regex Symbol();

    [LoggerMessage(LogLevel.Information, "Agent token {AgentTokenId} issued for user {UserId}")]
    private partial void LogIssued(string agentTokenId, string userId);

    [LoggerMessage(LogLevel.Information, "Agent token {AgentTokenId} of user {UserId} revoked")]
    private partial void LogRevoked(string agentTokenId, string userId);
}
