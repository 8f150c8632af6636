using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.WebUtilities;

namespace AlpacaConnect.Core.Agents;

/// <summary>What an agent token lets its agent do, on top of the user's own connection.</summary>
public sealed record AgentLimits
{
    public const string ReadOnly = "read_only";
    public const string Trading = "trading";

    /// <summary>read_only (default): reads only; trading: previews and places trades too.</summary>
    public string Mode { get; init; } = ReadOnly;

    /// <summary>Largest estimated cost of one order, in the account's currency; absent = no cap.</summary>
    [JsonConverter(typeof(DecimalTextConverter))] public string? MaxNotionalPerOrder { get; init; }

    /// <summary>Largest total estimated cost placed per UTC day through this token; absent = no cap.</summary>
    [JsonConverter(typeof(DecimalTextConverter))] public string? MaxNotionalPerDay { get; init; }

    /// <summary>Symbols the agent may trade; absent = any.</summary>
    public IReadOnlyList<string>? AllowedSymbols { get; init; }

    /// <summary>place_trade may take an order without a preview first (with an idempotency key).</summary>
    public bool AllowDirectPlacement { get; init; }

    [JsonIgnore] public bool CanTrade => Mode == Trading;
    [JsonIgnore] public decimal? PerOrder => AgentAmounts.Parse(MaxNotionalPerOrder);
    [JsonIgnore] public decimal? PerDay => AgentAmounts.Parse(MaxNotionalPerDay);
}

/// <summary>POST /api/agent-tokens.</summary>
public sealed record CreateAgentTokenRequest(
    string UserId,
    IReadOnlyList<string> Envs,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<string>? Tools = null,
    AgentLimits? Limits = null);

/// <summary>An agent token as the API shows it: never the token itself.</summary>
public sealed record AgentTokenView
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required IReadOnlyList<string> Envs { get; init; }
    /// <summary>Tools the token may call; absent = every tool.</summary>
    public IReadOnlyList<string>? Tools { get; init; }
    public required AgentLimits Limits { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    /// <summary>active, expired or revoked.</summary>
    public required string Status { get; init; }
}

/// <summary>201 to POST /api/agent-tokens: the token, shown this once.</summary>
public sealed record AgentTokenCreated(AgentTokenView AgentToken, string Token);

public sealed record AgentTokenList(string UserId, IReadOnlyList<AgentTokenView> AgentTokens);

internal static class AgentAmounts
{
    public static decimal? Parse(string? text) =>
        text is not null && decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowLeadingSign,
            System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    public static string Format(decimal value) => value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Agent token ids locate their row like trade ids do: "{userId}~{32 hex}" (partition = user id).
/// The bearer token is "acat_{base64url(user id)}.{row}.{secret}": the first two parts find the
/// row in one point read, and only the SHA-256 of the whole token is stored.
/// </summary>
public static class AgentTokenIds
{
    public const string Prefix = "acat_";

    public static string NewRowKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string NewToken(string userId, string rowKey) =>
        $"{Prefix}{WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(userId))}.{rowKey}.{WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32))}";

    public static string Hash(string token) => Hashing.Sha256Hex(token);

    /// <summary>Where a presented token's row would be; false for anything not shaped like one.</summary>
    public static bool TryLocate(string? token, out string userId, out string rowKey)
    {
        userId = rowKey = "";
        if (token is null || token.Length > 400 || !token.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var parts = token[Prefix.Length..].Split('.');
        if (parts.Length != 3 || parts[2].Length != 43)
            return false;
        try
        {
            userId = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(parts[0]));
        }
        catch (FormatException)
        {
            return false;
        }
        rowKey = parts[1];
        return Connections.UserIds.IsValid(userId) && IsRowKey(rowKey);
    }

    public static bool TryParse(string? id, out string userId, out string rowKey) =>
        TradeIds.TryParse(id, out userId, out rowKey);

    private static bool IsRowKey(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>The token row: partition = user id, row = the id's hex part.</summary>
public sealed class AgentTokenEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string TokenHash { get; set; } = "";
    public string Envs { get; set; } = "";
    /// <summary>Comma-separated tool names; null = every tool.</summary>
    public string? Tools { get; set; }
    public string LimitsJson { get; set; } = "{}";
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember] public string Id => TradeIds.Compose(PartitionKey, RowKey);
    [System.Runtime.Serialization.IgnoreDataMember] public IReadOnlyList<string> EnvList => Envs.Split(',', StringSplitOptions.RemoveEmptyEntries);
    [System.Runtime.Serialization.IgnoreDataMember] public IReadOnlyList<string>? ToolList => Tools?.Split(',', StringSplitOptions.RemoveEmptyEntries);
    [System.Runtime.Serialization.IgnoreDataMember] public AgentLimits Limits => JsonSerializer.Deserialize<AgentLimits>(LimitsJson, JsonBody.Options)!;

    public string StatusAt(DateTimeOffset now) => RevokedAt is not null ? "revoked" : ExpiresAt <= now ? "expired" : "active";

    public AgentTokenView ToView(DateTimeOffset now) => new()
    {
        Id = Id,
        UserId = PartitionKey,
        Envs = EnvList,
        Tools = ToolList,
        Limits = Limits,
        ExpiresAt = ExpiresAt,
        CreatedAt = CreatedAt,
        RevokedAt = RevokedAt,
        Status = StatusAt(now),
    };
}

/// <summary>Agent tokens in Table Storage (<see cref="Tables.AgentTokens"/>).</summary>
public sealed class AgentTokenStore(Tables tables)
{
    private TableClient Table => tables.Get(Tables.AgentTokens);

    public async Task AddAsync(AgentTokenEntity token, CancellationToken ct) => await Table.AddEntityAsync(token, ct);

    public async Task<AgentTokenEntity?> GetAsync(string userId, string rowKey, CancellationToken ct)
    {
        var found = await Table.GetEntityIfExistsAsync<AgentTokenEntity>(userId, rowKey, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    public async Task<List<AgentTokenEntity>> ListAsync(string userId, CancellationToken ct)
    {
        var tokens = new List<AgentTokenEntity>();
        await foreach (var token in Table.QueryAsync<AgentTokenEntity>(t => t.PartitionKey == userId, cancellationToken: ct))
            tokens.Add(token);
        return tokens;
    }

    /// <summary>Marks the token revoked (it stays listed); false if there is no such token.</summary>
    public async Task<bool> RevokeAsync(string userId, string rowKey, DateTimeOffset at, CancellationToken ct)
    {
        var token = await GetAsync(userId, rowKey, ct);
        if (token is null)
            return false;
        if (token.RevokedAt is null)
        {
            token.RevokedAt = at;
            await Table.UpdateEntityAsync(token, ETag.All, TableUpdateMode.Replace, ct);
        }
        return true;
    }

    /// <summary>
    /// The token a bearer value stands for, if it is that token (hash compared in fixed time), active
    /// and unexpired; null otherwise, whatever the reason.
    /// </summary>
    public async Task<AgentTokenEntity?> AuthenticateAsync(string? bearer, DateTimeOffset now, CancellationToken ct)
    {
        if (!AgentTokenIds.TryLocate(bearer, out var userId, out var rowKey))
            return null;
        var token = await GetAsync(userId, rowKey, ct);
        if (token is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(AgentTokenIds.Hash(bearer!)), Encoding.ASCII.GetBytes(token.TokenHash)))
            return null;
        return token.StatusAt(now) == "active" ? token : null;
    }
}
