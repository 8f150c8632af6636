using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

public sealed class LogLevelTestsOnServer() : LogLevelTests(HostKind.Server);

public sealed class LogLevelTestsOnFunctions() : LogLevelTests(HostKind.Functions);

/// <summary>What the logs say at which level, on both hosts: a handled retry is not an error.</summary>
public abstract class LogLevelTests(HostKind host)
{
    [SkippableFact]
    public async Task Read_retries_on_429_are_logged_below_error()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("rho");
        // Two calls a minute: the third read meets 429s, which the standard resilience handler retries (GETs only).
        await s.SetFaultsAsync(new { error_rate = 0.0, timeout_rate = 0.0, rate_limit_per_minute = 2, latency_ms = 0 });
        for (var i = 0; i < 3; i++)
            await s.Api.GetAsync("/api/connections/rho/paper/account");

        var lines = s.Logs.Lines;
        // The retries happened (Polly reports each) ...
        Assert.Contains(lines, l => l.Contains("OnRetry", StringComparison.Ordinal));
        // ... and none was reported as an error: the Server's lines start with their level, the host's entries with its short form.
        var errorPrefix = host == HostKind.Server ? "Error " : "fail ";
        Assert.DoesNotContain(lines, l => l.StartsWith(errorPrefix, StringComparison.Ordinal) && (l.Contains("Polly", StringComparison.Ordinal) || l.Contains("GetAccount", StringComparison.Ordinal)));
    }
}
