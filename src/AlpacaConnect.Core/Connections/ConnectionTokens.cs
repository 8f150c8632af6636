using System.Collections.Concurrent;
using AlpacaConnect.Core.Alpaca;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Connections;

/// <summary>
/// Active connections with their decrypted tokens, kept briefly in memory: trading would otherwise
/// pay a storage read (and a decrypt) per order. A revoke or disconnect drops the entry at once here;
/// other instances see it within <see cref="Lifetime"/>.
/// </summary>
public sealed class ConnectionTokens(ConnectionStore store, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<(string, AlpacaEnv), (Connection Connection, AccessToken Token, DateTimeOffset Expires)> _cache = new();

    public async Task<(Connection Connection, AccessToken Token)?> GetAsync(string userId, AlpacaEnv env, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue((userId, env), out var hit) && hit.Expires > now)
            return (hit.Connection, hit.Token);
        var found = await store.GetActiveWithTokenAsync(userId, env, ct);
        if (found is { } active)
            _cache[(userId, env)] = (active.Connection, active.Token, now + Lifetime);
        else
            _cache.TryRemove((userId, env), out _);
        return found;
    }

    /// <summary>Alpaca said 401: the user revoked the app. Drop the token everywhere we can.</summary>
    public async Task RevokeAsync(string userId, AlpacaEnv env, CancellationToken ct)
    {
        _cache.TryRemove((userId, env), out _);
        await store.MarkRevokedAsync(userId, env, ct);
    }

    /// <summary>
    /// Alpaca refused a call made with the user's token: a 401 means the user revoked the app, so the
    /// connection is marked revoked first. Returns the answer for the caller.
    /// </summary>
    public async Task<IResult> RefusedAsync(string userId, AlpacaEnv env, AlpacaError error, string what)
    {
        if (error.Kind == AlpacaErrorKind.Unauthorized)
            await RevokeAsync(userId, env, CancellationToken.None);
        return AlpacaRefusals.Problem(error, what, time.GetUtcNow());
    }

    public void Forget(string userId, AlpacaEnv env) => _cache.TryRemove((userId, env), out _);
}
