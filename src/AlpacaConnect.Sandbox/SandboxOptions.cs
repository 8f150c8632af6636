namespace AlpacaConnect.Sandbox;

/// <summary>Settings bound from the <c>Sandbox</c> configuration section; every value has a default.</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    public string ClientId { get; set; } = "sandbox-client-id";

    public string ClientSecret { get; set; } = "sandbox-client-secret";

    /// <summary>Comma-separated list of redirect URIs registered for <see cref="ClientId"/>; matched exactly.</summary>
    public string RedirectUris { get; set; } = "http://localhost:7071/api/oauth/callback";

    /// <summary>More OAuth apps, e.g. to prove a code issued to one app cannot be redeemed by another.</summary>
    public IList<SandboxClient> ExtraClients { get; set; } = [];

    public decimal StartingCash { get; set; } = 100_000m;

    /// <summary>Delay added to every trading response.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Share (0..1) of trading requests answered with 500 before any work is done.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Share (0..1) of POST /v2/orders that place the order and then hold the response for <see cref="TimeoutDelayMs"/>.</summary>
    public double TimeoutRate { get; set; }

    /// <summary>How long a "timed out" order response is held; 30 s like a hung upstream.</summary>
    public int TimeoutDelayMs { get; set; } = 30_000;

    /// <summary>Requests per rolling minute per access token; 0 or less disables the limit.</summary>
    public int RateLimitPerMinute { get; set; } = 200;

    /// <summary>When true (default) the clock always reports the market open so tests need no schedule.</summary>
    public bool MarketAlwaysOpen { get; set; } = true;

    /// <summary>Accounts may sell shortable assets short (shorting_enabled); off by default, when a sell needs the shares.</summary>
    public bool AllowShorting { get; set; }

    /// <summary>Seed for the fault dice; null = unpredictable.</summary>
    public int? Seed { get; set; }

    internal IEnumerable<SandboxClient> AllClients()
    {
        yield return new SandboxClient { ClientId = ClientId, ClientSecret = ClientSecret, RedirectUris = RedirectUris };
        foreach (var extra in ExtraClients)
        {
            yield return extra;
        }
    }
}

/// <summary>A registered OAuth app.</summary>
public sealed class SandboxClient
{
    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    /// <summary>Comma-separated, matched exactly.</summary>
    public string RedirectUris { get; set; } = "";

    internal IReadOnlyList<string> RedirectUriList() =>
        RedirectUris.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
