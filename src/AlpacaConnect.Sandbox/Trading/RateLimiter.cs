using System.Collections.Concurrent;
using AlpacaConnect.Sandbox.Admin;

namespace AlpacaConnect.Sandbox.Trading;

internal sealed record RateDecision(bool Allowed, int Limit, int Remaining, long ResetUnixSeconds);

/// <summary>Rolling one-minute window per access token, like Alpaca's 200 requests/minute.</summary>
internal sealed class RateLimiter(TimeProvider time, FaultSwitches faults)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);

    public RateDecision Hit(string key)
    {
        var limit = faults.Current.RateLimitPerMinute;
        var now = time.GetUtcNow();
        var hits = _windows.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (hits)
        {
            while (hits.Count > 0 && hits.Peek() <= now - Window)
            {
                hits.Dequeue();
            }

            if (limit <= 0)
            {
                return new RateDecision(true, 0, 0, (now + Window).ToUnixTimeSeconds());
            }

            var allowed = hits.Count < limit;
            if (allowed)
            {
                hits.Enqueue(now);
            }

            // Reset: when the oldest request in the window drops out and a slot frees up.
            var reset = (hits.Count > 0 ? hits.Peek() : now) + Window;
            return new RateDecision(allowed, limit, Math.Max(0, limit - hits.Count), (long)Math.Ceiling(reset.ToUnixTimeMilliseconds() / 1000.0));
        }
    }

    public void Reset() => _windows.Clear();
}
