using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

/// <summary>A hook as the API shows it: never its secret (shown once, at creation or rotation).</summary>
public sealed record SignalHookView
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required SignalRules Rules { get; init; }
    /// <summary>Addresses (IPs or CIDR ranges, or the preset "tradingview") alerts must come from; empty = any.</summary>
    public required IReadOnlyList<string> AllowedSources { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Until when the secret before the last rotation still works.</summary>
    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
}

/// <summary>
/// Signal hooks (one small partition: they are few and listed together). Only the SHA-256 of a hook's
/// secret is stored; during a rotation's overlap the previous secret's hash is kept beside it.
/// The alert endpoint reads hooks through a brief per-instance cache (<see cref="FindForAlertAsync"/>),
/// so an alert's ack does not wait for a hook read; every other reader reads storage.
/// </summary>
public sealed class SignalHookStore(Tables tables, IOptions<SignalOptions> options, TimeProvider time)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Task<SignalHookEntity?> Read, DateTimeOffset Expires)> _forAlerts = new(StringComparer.Ordinal);

    private const string Partition = "hook";
    public const string IdPrefix = "hk_";

    private TableClient Table => tables.Get(Tables.SignalHooks);

    public static bool LooksLikeId(string? id) =>
        id is { Length: 35 } && id.StartsWith(IdPrefix, StringComparison.Ordinal) && id[3..].All(char.IsAsciiHexDigitLower);

    public async Task<(SignalHookEntity Hook, string Secret)> CreateAsync(string name, SignalRules rules, IReadOnlyList<string> sources, CancellationToken ct)
    {
        var secret = OpaqueTokens.New();
        var now = time.GetUtcNow();
        var entity = new SignalHookEntity
        {
            PartitionKey = Partition,
            RowKey = IdPrefix + Guid.CreateVersion7().ToString("N"),
            Name = name,
            RulesJson = JsonSerializer.Serialize(rules, JsonBody.Options),
            AllowedSources = string.Join(',', sources),
            SecretHash = OpaqueTokens.Hash(secret),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await Table.AddEntityAsync(entity, ct);
        return (entity, secret);
    }

    public async Task<SignalHookEntity?> FindAsync(string id, CancellationToken ct)
    {
        if (!LooksLikeId(id))
            return null;
        var found = await Table.GetEntityIfExistsAsync<SignalHookEntity>(Partition, id, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>
    /// The hook for an alert, read at most once per <see cref="SignalOptions.HookCacheDuration"/> per
    /// instance (concurrent alerts share one read; an unknown hook and a failed read are not kept).
    /// A change made through this instance (update, rotation, delete) is seen at once; one made
    /// through another instance within the cache duration. The kill switch still stops orders at once
    /// everywhere: the fan-out reads the hook from storage before it places anything.
    /// </summary>
    public async Task<SignalHookEntity?> FindForAlertAsync(string id, CancellationToken ct)
    {
        var lifetime = options.Value.HookCacheDuration;
        if (lifetime <= TimeSpan.Zero || !LooksLikeId(id))
            return await FindAsync(id, ct);
        var now = time.GetUtcNow();
        if (!_forAlerts.TryGetValue(id, out var entry) || entry.Expires <= now)
        {
            var fresh = (FindAsync(id, CancellationToken.None), now + lifetime);
            entry = _forAlerts.AddOrUpdate(id, fresh, (_, existing) => existing.Expires > now ? existing : fresh);
        }
        SignalHookEntity? hook;
        try
        {
            hook = await entry.Read.WaitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            _forAlerts.TryRemove(KeyValuePair.Create(id, entry));
            throw;
        }
        if (hook is null)
            _forAlerts.TryRemove(KeyValuePair.Create(id, entry));
        return hook;
    }

    private void Forget(string id) => _forAlerts.TryRemove(id, out _);

    public async Task<IReadOnlyList<SignalHookEntity>> ListAsync(CancellationToken ct)
    {
        var list = new List<SignalHookEntity>();
        await foreach (var entity in Table.QueryAsync<SignalHookEntity>(e => e.PartitionKey == Partition, cancellationToken: ct))
            list.Add(entity);
        return list;
    }

    /// <summary>Replaces name, rules and sources, guarded by the ETag read (false: it changed or went meanwhile).</summary>
    public async Task<bool> TryUpdateAsync(SignalHookEntity entity, string name, SignalRules rules, IReadOnlyList<string> sources, CancellationToken ct)
    {
        entity.Name = name;
        entity.RulesJson = JsonSerializer.Serialize(rules, JsonBody.Options);
        entity.AllowedSources = string.Join(',', sources);
        entity.UpdatedAt = time.GetUtcNow();
        try
        {
            await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
            Forget(entity.RowKey);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        var deleted = LooksLikeId(id) && (await Table.DeleteEntityAsync(Partition, id, ETag.All, ct)).Status != 404;
        Forget(id);
        return deleted;
    }

    /// <summary>A new secret works from now on; the previous one keeps working during the overlap.</summary>
    public async Task<(SignalHookEntity Hook, string Secret)?> RotateSecretAsync(string id, CancellationToken ct)
    {
        var entity = await FindAsync(id, ct);
        if (entity is null)
            return null;
        var secret = OpaqueTokens.New();
        var now = time.GetUtcNow();
        entity.PreviousSecretHash = entity.SecretHash;
        entity.PreviousSecretExpiresAt = now + options.Value.RotationOverlap;
        entity.SecretHash = OpaqueTokens.Hash(secret);
        entity.UpdatedAt = now;
        try
        {
            await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null; // deleted or rotated at the same moment: this rotation did not happen
        }
        Forget(id);
        return (entity, secret);
    }

    /// <summary>Whether <paramref name="presented"/> is the hook's secret (or its previous one, during the overlap), compared in constant time.</summary>
    public bool SecretMatches(SignalHookEntity hook, string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 256)
            return false;
        var hash = Encoding.ASCII.GetBytes(OpaqueTokens.Hash(presented));
        var current = CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(hook.SecretHash));
        var previous = hook.PreviousSecretHash is { } old && hook.PreviousSecretExpiresAt > time.GetUtcNow()
            && CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(old));
        return current | previous;
    }
}

public sealed class SignalHookEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Name { get; set; } = "";
    public string RulesJson { get; set; } = "{}";
    public string AllowedSources { get; set; } = "";
    public string SecretHash { get; set; } = "";
    public string? PreviousSecretHash { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember] public SignalRules Rules => JsonSerializer.Deserialize<SignalRules>(RulesJson, JsonBody.Options)!;

    [System.Runtime.Serialization.IgnoreDataMember] public IReadOnlyList<string> SourceList => AllowedSources.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public SignalHook ToHook() => new() { Id = RowKey, Name = Name, Rules = Rules, CreatedAt = CreatedAt };

    public SignalHookView ToView() => new()
    {
        Id = RowKey,
        Name = Name,
        Rules = Rules,
        AllowedSources = SourceList,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        PreviousSecretExpiresAt = PreviousSecretExpiresAt,
    };
}
