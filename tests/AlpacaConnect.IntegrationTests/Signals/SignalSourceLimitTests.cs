using System.Net;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlpacaConnect.IntegrationTests.Signals;

public sealed class SignalSourceLimitTestsOnServer() : SignalSourceLimitTests(HostKind.Server);

public sealed class SignalSourceLimitTestsOnFunctions() : SignalSourceLimitTests(HostKind.Functions);

/// <summary>Repeated failed alerts from one address are refused for the rest of the minute, even with the right secret (both hosts).</summary>
public abstract class SignalSourceLimitTests(HostKind host)
{
    [SkippableFact]
    public async Task Repeated_wrong_secrets_from_one_source_are_refused_with_429_then_even_the_right_secret_is()
    {
        await using var s = await TestSystem.StartAsync(host: host, settings: new Dictionary<string, string?> { ["Signals:FailuresPerMinute"] = "3" });
        var hook = await s.CreateHookAsync();
        var wrong = hook.Url[..hook.Url.LastIndexOf('/')] + "/" + new string('B', 43);
        for (var i = 0; i < 3; i++)
            await ProblemAssert.AssertProblemAsync(await s.AlertAsync(wrong, SignalClient.TradingViewAlert(id: $"w{i}")), HttpStatusCode.NotFound, "not-found");
        var limited = await s.AlertAsync(hook, SignalClient.TradingViewAlert(id: "right"));
        Assert.Equal("60", limited.Headers.RetryAfter?.ToString());
        await ProblemAssert.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "too-many-failures");
        Assert.Equal(0, await s.SignalRowsAsync(hook.Id));
    }
}

/// <summary>Server-only (a fake clock and log levels swapped inside the Server's process): the dedupe window by the clock, and the request log without the alert URL's secret.</summary>
public sealed class SignalServerOnlyTests
{
    [Fact]
    public async Task Resends_5_seconds_apart_are_duplicates_and_the_same_body_after_the_window_is_a_new_signal()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await TestSystem.StartAsync(services => services.AddSingleton<TimeProvider>(time),
            new Dictionary<string, string?> { ["Signals:DedupeWindow"] = "00:01:00" });
        var hook = await s.CreateHookAsync();
        var body = """{"ticker":"SPY","action":"buy","quantity":1}""";
        var first = await SignalClient.AcceptedAsync(await s.AlertAsync(hook, body));
        for (var copy = 0; copy < 3; copy++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal((first.SignalId, true), ((await SignalClient.AcceptedAsync(await s.AlertAsync(hook, body))) is var a ? (a.SignalId, a.Duplicate) : default));
        }
        time.Advance(TimeSpan.FromSeconds(61));
        var later = await SignalClient.AcceptedAsync(await s.AlertAsync(hook, body));
        Assert.False(later.Duplicate);
        Assert.NotEqual(first.SignalId, later.SignalId);
        Assert.Equal(2, await s.RecordedSignalsAsync(hook.Id));
    }

    [Fact]
    public async Task The_request_log_names_the_alert_route_but_never_the_secret_in_its_path()
    {
        await using var s = await TestSystem.StartAsync(settings: new Dictionary<string, string?>
        {
            // Information is where the Server's request log writes; ASP.NET Core's own Debug/Trace lines (routing) name the path (README, Signals).
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information",
        });
        var hook = await s.CreateHookAsync();
        await SignalClient.AcceptedAsync(await s.AlertAsync(hook, SignalClient.TradingViewAlert(id: "logged")));
        await Task.Delay(300);
        Assert.Contains(s.Logs.Lines, l => l.Contains($"/api/signals/{hook.Id}/[redacted]", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains(hook.Secret, StringComparison.Ordinal));
    }
}
