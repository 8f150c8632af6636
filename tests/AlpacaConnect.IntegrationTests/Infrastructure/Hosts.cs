using AlpacaConnect.TestSupport;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>Which host serves the app in a test: the self-hosted Server, or the Functions app under a real Functions host.</summary>
public enum HostKind
{
    Server,
    Functions,
}

/// <summary>A host as a type, so a test class can be declared once per host (xunit runs each sealed subclass).</summary>
public interface IHostChoice
{
    static abstract HostKind Kind { get; }
}

public sealed class OnServer : IHostChoice
{
    public static HostKind Kind => HostKind.Server;
}

public sealed class OnFunctions : IHostChoice
{
    public static HostKind Kind => HostKind.Functions;
}

/// <summary>
/// One system per test class and host. Where the Functions host cannot be run here, the fixture
/// starts nothing and <see cref="System"/> skips the test with the reason (a failure under CI=true).
/// </summary>
public class SystemFixture<THost> : IAsyncLifetime where THost : IHostChoice
{
    private TestSystem? _system;

    public TestSystem System
    {
        get
        {
            HostSkip.SkipUnlessAvailable(THost.Kind);
            return _system ?? throw new InvalidOperationException("The fixture's system did not start.");
        }
    }

    public async Task InitializeAsync()
    {
        if (!HostSkip.CanRun(THost.Kind))
            return;
        _system = await TestSystem.StartAsync(host: THost.Kind);
        await PrepareAsync(_system);
    }

    /// <summary>What every test of the class shares (e.g. connected users).</summary>
    protected virtual Task PrepareAsync(TestSystem system) => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_system is not null)
            await _system.DisposeAsync();
    }
}

/// <summary>Functions-host tests skip where no host can run (one line says why); under CI=true that is a failure, never a skip.</summary>
public static class HostSkip
{
    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool CanRun(HostKind kind) => kind == HostKind.Server || FunctionsHost.IsAvailable;

    public static void SkipUnlessAvailable(HostKind kind)
    {
        if (CanRun(kind))
            return;
        if (InCi)
            throw new InvalidOperationException("CI=true and no Functions host: " + FunctionsHost.UnavailableReason);
        Skip.If(true, FunctionsHost.UnavailableReason);
    }
}
