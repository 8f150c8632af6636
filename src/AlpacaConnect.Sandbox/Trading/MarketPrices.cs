using System.Collections.Concurrent;
using AlpacaConnect.Sandbox.Http;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>
/// Deterministic prices: each symbol swings +-1% around its base price on a one-hour sine wave,
/// as a pure function of TimeProvider time, so tests repeat exactly. The admin API can pin a price.
/// </summary>
internal sealed class MarketPrices(TimeProvider time)
{
    private const double Amplitude = 0.01;
    private const double PeriodSeconds = 3600;

    private readonly ConcurrentDictionary<string, decimal> _overrides = new(StringComparer.OrdinalIgnoreCase);

    public decimal Current(Asset asset) => At(asset, time.GetUtcNow());

    public decimal At(Asset asset, DateTimeOffset at) =>
        _overrides.TryGetValue(asset.Symbol, out var pinned) ? pinned : Simulated(asset, at);

    /// <summary>The previous session's closing price (ignores pins, which model "now").</summary>
    public decimal LastDay(Asset asset) => Simulated(asset, MarketClock.PreviousClose(time.GetUtcNow()));

    public bool IsPinned(Asset asset) => _overrides.ContainsKey(asset.Symbol);

    public void Pin(Asset asset, decimal price) => _overrides[asset.Symbol] = price;

    public bool Unpin(Asset asset) => _overrides.TryRemove(asset.Symbol, out _);

    public void Reset() => _overrides.Clear();

    private static decimal Simulated(Asset asset, DateTimeOffset at)
    {
        var phase = Wire.StableNumber("phase|" + asset.Symbol) % 1000 / 1000.0 * 2 * Math.PI;
        var seconds = at.ToUnixTimeMilliseconds() / 1000.0;
        var factor = 1 + (Amplitude * Math.Sin((2 * Math.PI * seconds / PeriodSeconds) + phase));
        return Math.Round(asset.BasePrice * (decimal)factor, 2);
    }
}
