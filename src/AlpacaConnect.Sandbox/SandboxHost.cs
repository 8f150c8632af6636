namespace AlpacaConnect.Sandbox;

/// <summary>
/// A Sandbox running on Kestrel at a random loopback port, for tests:
/// <c>await using var sandbox = await SandboxHost.StartAsync();</c> then talk HTTP to <see cref="BaseAddress"/>.
/// </summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private SandboxHost(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }

    /// <summary>e.g. http://127.0.0.1:54321/ (with trailing slash).</summary>
    public Uri BaseAddress { get; }

    /// <summary>What an app configures as PaperApiUrl (no trailing slash, like https://paper-api.alpaca.markets).</summary>
    public Uri PaperApiUrl => new(BaseAddress, "paper");

    /// <summary>What an app configures as LiveApiUrl.</summary>
    public Uri LiveApiUrl => new(BaseAddress, "live");

    public IServiceProvider Services => App.Services;

    public static async Task<SandboxHost> StartAsync(
        Action<SandboxOptions>? configure = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var app = SandboxApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], configure, time);
        await app.StartAsync(cancellationToken);
        var address = app.BoundAddresses()[0];
        return new SandboxHost(app, new Uri(address.GetLeftPart(UriPartial.Authority) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }
}
