using System.Collections.Concurrent;
using AlpacaConnect.Core.Alpaca;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Connections;

/// <summary>
/// Active connections with their decrypted tokens, kept briefly in memory: trading would otherwise
/// pay a storage read (and a decrypt) per order. A revoke or disconnect drops the entry at once here;
/// other instances see it within <see cref="Lifetime"/>. Concurrent misses for one connection (a
/// signal's fan-outs and its trades, a burst of one user's trades) share one storage read.
/// </summary>
public sealed class ConnectionTokens(ConnectionStore store, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<(string, AlpacaEnv), (Connection Connection, AccessToken Token, DateTimeOffset Expires)> _cache = new();
    private readonly ConcurrentDictionary<(string, AlpacaEnv), Lazy<Task<(Connection Connection, AccessToken Token)?>>> _reading = new();

    public async Task<(Connection Connection, AccessToken Token)?> GetAsync(string userId, AlpacaEnv env, CancellationToken ct)
    {
        if (_cache.TryGetValue((userId, env), out var hit) && hit.Expires > time.GetUtcNow())
            return (hit.Connection, hit.Token);
        var read = _reading.GetOrAdd((userId, env), key => new Lazy<Task<(Connection, AccessToken)?>>(() => ReadAsync(key)));
        return await read.Value.WaitAsync(ct);
    }

    /// <summary>One storage read for every caller that missed at once; it leaves <see cref="_reading"/> when it ends.</summary>
    private async Task<(Connection Connection, AccessToken Token)?> ReadAsync((string UserId, AlpacaEnv Env) key)
    {
        try
        {
            var now = time.GetUtcNow();
            var found = await store.GetActiveWithTokenAsync(key.UserId, key.Env, CancellationToken.None);
            if (found is { } active)
                _cache[key] = (active.Connection, active.Token, now + Lifetime);
            else
                _cache.TryRemove(key, out _);
            return found;
        }
        finally
        {
            _reading.TryRemove(key, out _);
        }
    }

    /// <summary>Alpaca said 401: the user revoked the app. Drop the token everywhere we can.</summary>
    public async Task RevokeAsync(string userId, AlpacaEnv env, CancellationToken ct)
    {
        _cache.TryRemove((userId, env), out _);
        _reading.TryRemove((userId, env), out _);
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

    public void Forget(string userId, AlpacaEnv env)
    {
        _cache.TryRemove((userId, env), out _);
        _reading.TryRemove((userId, env), out _);
    }
}
