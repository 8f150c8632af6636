using System.Collections.Concurrent;
using AlpacaConnect.Core.Alpaca;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// Reads a fan-out repeats for every subscriber, shared briefly: Alpaca's clock (one per env, the
/// same for every account; reused until <see cref="SignalFanOutOptions.ClockCacheDuration"/> or its
/// next open/close) and each account's equity (per connection, for <see cref="SignalFanOutOptions.EquityCacheDuration"/>).
/// Callers that ask at once share one call; a failed call is not kept.
/// </summary>
public sealed class BrokerReadCache(AlpacaTradingClient alpaca, TimeProvider time, IOptions<SignalFanOutOptions> options)
{
    private readonly ConcurrentDictionary<AlpacaEnv, Entry<AlpacaClock>> _clocks = new();
    private readonly ConcurrentDictionary<(string UserId, AlpacaEnv Env), Entry<AlpacaAccount>> _accounts = new();

    private sealed record Entry<T>(Task<AlpacaResult<T>> Read, DateTimeOffset Expires);

    public Task<AlpacaResult<AlpacaClock>> ClockAsync(AlpacaEnv env, AccessToken token) =>
        GetAsync(_clocks, env, () => alpaca.GetClockAsync(env, token, CancellationToken.None), options.Value.ClockCacheDuration,
            clock => time.GetUtcNow() < (clock.IsOpen ? clock.NextClose : clock.NextOpen));

    public Task<AlpacaResult<AlpacaAccount>> AccountAsync(string userId, AlpacaEnv env, AccessToken token) =>
        GetAsync(_accounts, (userId, env), () => alpaca.GetAccountAsync(env, token, CancellationToken.None), options.Value.EquityCacheDuration, _ => true);

    public void Forget(string userId, AlpacaEnv env) => _accounts.TryRemove((userId, env), out _);

    private async Task<AlpacaResult<T>> GetAsync<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> cache, TKey key, Func<Task<AlpacaResult<T>>> read, TimeSpan lifetime, Func<T, bool> stillTrue)
        where TKey : notnull
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(key, out var hit) && hit.Expires > now)
        {
            var cached = await hit.Read;
            if (cached.IsSuccess && stillTrue(cached.Value!))
                return cached;
            cache.TryRemove(KeyValuePair.Create(key, hit));
        }
        var entry = cache.AddOrUpdate(key, _ => new Entry<T>(read(), now + lifetime),
            (_, existing) => existing.Expires > now && existing != hit ? existing : new Entry<T>(read(), now + lifetime));
        var result = await entry.Read;
        if (!result.IsSuccess)
            cache.TryRemove(KeyValuePair.Create(key, entry));
        return result;
    }
}
