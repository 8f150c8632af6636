using Microsoft.Extensions.Options;

namespace AlpacaConnect.Sandbox.Admin;

/// <summary>Run-time fault settings (PUT /sandbox/admin/faults), in their wire shape.</summary>
internal sealed record FaultSettings(int LatencyMs, double ErrorRate, double TimeoutRate, int RateLimitPerMinute);

/// <summary>Current fault settings plus the (seedable) dice that decide which request fails.</summary>
internal sealed class FaultSwitches
{
    private readonly Lock _gate = new();
    private readonly SandboxOptions _options;
    private Random _random;
    private FaultSettings _current;

    public FaultSwitches(IOptions<SandboxOptions> options)
    {
        _options = options.Value;
        _current = Initial();
        _random = NewRandom();
    }

    public FaultSettings Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public int TimeoutDelayMs => _options.TimeoutDelayMs;

    public void Set(FaultSettings settings)
    {
        lock (_gate)
        {
            _current = settings;
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _current = Initial();
            _random = NewRandom();
        }
    }

    /// <summary>True with the given probability. Rolls no die at 0 or 1, so a seed's sequence is only spent on real choices.</summary>
    public bool Roll(double probability)
    {
        if (probability <= 0)
        {
            return false;
        }

        if (probability >= 1)
        {
            return true;
        }

        lock (_gate)
        {
            return _random.NextDouble() < probability;
        }
    }

    private FaultSettings Initial() =>
        new(_options.LatencyMs, _options.ErrorRate, _options.TimeoutRate, _options.RateLimitPerMinute);

    private Random NewRandom() => _options.Seed is { } seed ? new Random(seed) : new Random();
}
