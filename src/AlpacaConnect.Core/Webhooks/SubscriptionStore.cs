using System.Security.Cryptography;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>A subscription as the API shows it: never with its secret (that is shown once, at creation or rotation).</summary>
public sealed record WebhookSubscription(
    string Id,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    string Status,
    string? DisabledReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PreviousSecretExpiresAt)
{
    public bool Wants(string type) => Status == SubscriptionStatus.Enabled && (EventTypes.Contains("*") || EventTypes.Contains(type));
}

public static class SubscriptionStatus
{
    public const string Enabled = "enabled";
    /// <summary>The receiver answered 410 Gone.</summary>
    public const string Disabled = "disabled";
}

/// <summary>
/// Webhook subscriptions (one small partition: they are few and always read together). Signing
/// secrets are encrypted like tokens. The enabled ones are cached for a few seconds, because every
/// recorded event asks "who wants this?".
/// </summary>
public sealed class SubscriptionStore(Tables tables, TokenProtector protector, IOptions<WebhookOptions> options, TimeProvider time)
{
    private const string Partition = "sub";
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(5);

    private volatile CachedList? _cache;

    private sealed record CachedList(IReadOnlyList<WebhookSubscription> Subscriptions, DateTimeOffset Expires);

    private TableClient Table => tables.Get(Tables.WebhookSubscriptions);

    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public async Task<(WebhookSubscription Subscription, string Secret)> CreateAsync(string url, IReadOnlyList<string> eventTypes, string? description, CancellationToken ct)
    {
        var id = "whsub_" + Guid.CreateVersion7().ToString("N");
        var secret = NewSecret();
        var sealedSecret = await protector.ProtectAsync(secret, Owner(id), ct);
        var now = time.GetUtcNow();
        var entity = new SubscriptionEntity
        {
            PartitionKey = Partition,
            RowKey = id,
            Url = url,
            EventTypes = string.Join(',', eventTypes),
            Description = description,
            Status = SubscriptionStatus.Enabled,
            SecretCiphertext = sealedSecret.Ciphertext,
            SecretKeyVersion = sealedSecret.KeyVersion,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await Table.AddEntityAsync(entity, ct);
        _cache = null;
        return (entity.ToSubscription(), secret);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken ct)
    {
        var list = new List<WebhookSubscription>();
        await foreach (var entity in Table.QueryAsync<SubscriptionEntity>(e => e.PartitionKey == Partition, cancellationToken: ct))
            list.Add(entity.ToSubscription());
        return list;
    }

    public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken ct) => (await FindAsync(id, ct))?.ToSubscription();

    /// <summary>
    /// Enabled subscriptions that want <paramref name="type"/>. Cached briefly; when the cache is
    /// stale one caller refreshes it while the others keep using the stale list, so a busy moment
    /// costs one read per few seconds, not one per event.
    /// </summary>
    public async Task<IReadOnlyList<WebhookSubscription>> MatchingAsync(string type, CancellationToken ct)
    {
        var cache = _cache;
        if (cache is null)
            cache = await RefreshAsync(ct);
        else if (cache.Expires <= time.GetUtcNow() && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            _ = Task.Run(() => RefreshAsync(CancellationToken.None), CancellationToken.None);
        return cache.Subscriptions.Where(s => s.Wants(type)).ToList();
    }

    private int _refreshing;

    private async Task<CachedList> RefreshAsync(CancellationToken ct)
    {
        try
        {
            var fresh = new CachedList((await ListAsync(ct)).Where(s => s.Status == SubscriptionStatus.Enabled).ToList(), time.GetUtcNow() + CacheLifetime);
            _cache = fresh;
            return fresh;
        }
        catch (Exception) when (_cache is { } stale)
        {
            return stale; // keep the last known list; the next stale read tries again
        }
        finally
        {
            Interlocked.Exchange(ref _refreshing, 0);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        var response = await Table.DeleteEntityAsync(Partition, id, ETag.All, ct);
        _cache = null;
        return response.Status != 404;
    }

    /// <summary>A new secret signs from now on; the previous one keeps signing during the overlap.</summary>
    public async Task<(WebhookSubscription Subscription, string Secret)?> RotateSecretAsync(string id, CancellationToken ct)
    {
        var entity = await FindAsync(id, ct);
        if (entity is null)
            return null;
        var secret = NewSecret();
        var sealedSecret = await protector.ProtectAsync(secret, Owner(id), ct);
        var now = time.GetUtcNow();
        entity.PreviousSecretCiphertext = entity.SecretCiphertext;
        entity.PreviousSecretKeyVersion = entity.SecretKeyVersion;
        entity.PreviousSecretExpiresAt = now + options.Value.RotationOverlap;
        entity.SecretCiphertext = sealedSecret.Ciphertext;
        entity.SecretKeyVersion = sealedSecret.KeyVersion;
        entity.UpdatedAt = now;
        await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
        return (entity.ToSubscription(), secret);
    }

    public async Task DisableAsync(string id, string reason, CancellationToken ct)
    {
        var entity = await FindAsync(id, ct);
        if (entity is null)
            return;
        entity.Status = SubscriptionStatus.Disabled;
        entity.DisabledReason = reason;
        entity.UpdatedAt = time.GetUtcNow();
        await Table.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Replace, ct);
        _cache = null;
    }

    /// <summary>The subscription and the secrets that sign for it now: current first, then the previous during the overlap.</summary>
    public async Task<(WebhookSubscription Subscription, IReadOnlyList<string> Secrets)?> GetForDeliveryAsync(string id, CancellationToken ct)
    {
        var entity = await FindAsync(id, ct);
        if (entity is null)
            return null;
        var secrets = new List<string> { await protector.UnprotectAsync(new ProtectedValue(entity.SecretCiphertext, entity.SecretKeyVersion), Owner(id), ct) };
        if (entity.PreviousSecretCiphertext is not null && entity.PreviousSecretKeyVersion is not null && entity.PreviousSecretExpiresAt > time.GetUtcNow())
            secrets.Add(await protector.UnprotectAsync(new ProtectedValue(entity.PreviousSecretCiphertext, entity.PreviousSecretKeyVersion), Owner(id), ct));
        return (entity.ToSubscription(), secrets);
    }

    private async Task<SubscriptionEntity?> FindAsync(string id, CancellationToken ct)
    {
        if (!id.StartsWith("whsub_", StringComparison.Ordinal) || id.Length != 38)
            return null;
        var found = await Table.GetEntityIfExistsAsync<SubscriptionEntity>(Partition, id, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    private static string Owner(string id) => "webhook|" + id;
}

internal sealed class SubscriptionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Url { get; set; } = "";
    public string EventTypes { get; set; } = "";
    public string? Description { get; set; }
    public string Status { get; set; } = "";
    public string? DisabledReason { get; set; }
    public string SecretCiphertext { get; set; } = "";
    public string SecretKeyVersion { get; set; } = "";
    public string? PreviousSecretCiphertext { get; set; }
    public string? PreviousSecretKeyVersion { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public WebhookSubscription ToSubscription() => new(RowKey, Url, EventTypes.Split(',', StringSplitOptions.RemoveEmptyEntries), Description,
        Status, DisabledReason, CreatedAt, UpdatedAt, PreviousSecretExpiresAt);
}
