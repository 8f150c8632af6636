using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// The local demo page (GET /demo): served only when enabled, and walked end to end in headless
/// Debian Chromium by tests/browser/demo-walk.mjs (playwright-core) against a real Server and Sandbox:
/// connect, trade, a signal hook (its curl run through a shell, a test alert to a filled trade) and a
/// schedule placed by the Server's own timer (run every 2 s here, so an occurrence comes within the walk).
/// </summary>
public sealed class DemoPageTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";
    /// <summary>An alert path whose last segment is not [redacted]: a secret.</summary>
    private static readonly Regex AlertPathWithSecret = new(@"/api/signals/hk_[A-Za-z0-9_-]+/(?!\[redacted\])[A-Za-z0-9_-]+", RegexOptions.CultureInvariant);

    private static readonly TimeSpan WalkTimeout = TimeSpan.FromSeconds(240);

    private static readonly Dictionary<string, string?> Enabled = new() { ["Demo:Enabled"] = "true" };

    /// <summary>The walk's schedule fires every 5 s (a cron with seconds); the Server's timer looks every 2 s.</summary>
    private static readonly Dictionary<string, string?> EnabledWithFastTimer = new()
    {
        ["Demo:Enabled"] = "true",
        ["Schedules:TimerSchedule"] = "*/2 * * * * *",
    };

    /// <summary>The demo page returns to itself, so the Server's own origin is an allowed return origin here.</summary>
    private static Dictionary<string, string?> ReturnToServer(Uri serverUrl) => new()
    {
        ["Connect:AllowedReturnOrigins"] = TestSystem.ReturnOrigin + "," + serverUrl.GetLeftPart(UriPartial.Authority),
    };

    [Fact]
    public async Task The_demo_page_connects_trades_follows_signals_schedules_and_shows_errors_in_a_real_browser()
    {
        var root = RepoRoot();
        var missing = MissingBrowserTools(root);
        if (missing.Count > 0)
        {
            var what = string.Join("; ", missing);
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail($"The demo page's browser test cannot run: {what}. Install chromium (apt-get install -y chromium) and run npm ci in the repository root.");
            output.WriteLine($"skipped: install chromium (apt-get install chromium) and run npm ci ({what}).");
            return;
        }

        await using var s = await TestSystem.StartAsync(settings: EnabledWithFastTimer, serverSettings: ReturnToServer);
        var (exitCode, stdout, stderr) = await RunAsync(root, "node", ["tests/browser/demo-walk.mjs", s.ServerUrl.ToString()], WalkTimeout);
        // The alert URL carries the hook's secret: neither the walk nor the Server may print it (checked before anything is written).
        // (The messages name no line: the line would carry the secret.)
        Assert.False(AlertPathWithSecret.IsMatch(stdout + stderr), "demo-walk.mjs printed an alert URL with its secret.");
        Assert.False(s.Logs.Lines.Any(AlertPathWithSecret.IsMatch), "The Server logged an alert URL with its secret.");
        output.WriteLine(stdout);
        if (stderr.Length > 0)
            output.WriteLine("stderr:\n" + stderr);

        Assert.True(exitCode == 0, $"demo-walk.mjs exited {exitCode}.\n{stderr}\n{stdout}");
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        using var result = JsonDocument.Parse(last);
        Assert.True(result.RootElement.GetProperty("ok").GetBoolean(), last);
        var steps = result.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.All(steps, step => Assert.True(step.GetProperty("ok").GetBoolean(), step.ToString()));
        Assert.Equal(
            ["open /demo", "connect (Allow)", "connections list shows the active paper connection", "market order AAPL qty 1 fills",
             "invalid order (qty 0) shows the field error",
             "signal hook created shows alert URL and curl", "the curl shown fires the alert (202)", "test alert fills a trade for the subscriber",
             "alert above the hook max qty shows the refusal reason",
             "invalid schedule (bad cron) shows the field error", "schedule created and listed", "schedule occurrences shown", "pause and resume",
             "skipped occurrences show the reason", "schedule deleted",
             "connect (Deny) shows the declined message"],
            steps.Select(step => step.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task The_demo_page_carries_the_key_only_with_no_store_and_a_strict_content_security_policy()
    {
        await using var s = await TestSystem.StartAsync(settings: Enabled);

        var page = await s.Browser.GetAsync(new Uri(s.ServerUrl, "/demo"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"<meta name=\"functions-key\" content=\"{TestSystem.FunctionKey}\">", await page.Content.ReadAsStringAsync());
        Assert.True(page.Headers.CacheControl?.NoStore, "The page carries the key, so it must not be cached.");
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());

        var script = await s.Browser.GetAsync(new Uri(s.ServerUrl, "/demo/demo.js"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(TestSystem.FunctionKey, await script.Content.ReadAsStringAsync());
        var styles = await s.Browser.GetAsync(new Uri(s.ServerUrl, "/demo/demo.css"));
        Assert.Equal(HttpStatusCode.OK, styles.StatusCode);
        Assert.Equal("text/css", styles.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_demo_page_is_not_served_outside_Development_unless_enabled()
    {
        await using var s = await TestSystem.StartAsync();
        if (s.Services.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            output.WriteLine("ASPNETCORE_ENVIRONMENT is Development here, where the demo page is on by design; nothing to check.");
            return;
        }

        foreach (var path in new[] { "/demo", "/demo/demo.js", "/demo/demo.css" })
        {
            var response = await s.Browser.GetAsync(new Uri(s.ServerUrl, path));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain(TestSystem.FunctionKey, await response.Content.ReadAsStringAsync());
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlpacaConnectFunctions.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No AlpacaConnectFunctions.sln above {AppContext.BaseDirectory}.");
    }

    private static List<string> MissingBrowserTools(string root)
    {
        var missing = new List<string>();
        if (!File.Exists(Chromium))
            missing.Add($"{Chromium} is missing");
        if (!File.Exists(Path.Combine(root, "node_modules", "playwright-core", "package.json")))
            missing.Add("node_modules/playwright-core is missing");
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "node"))))
            missing.Add("node is not on PATH");
        return missing;
    }

    /// <summary>Runs a process to completion (killing its whole tree after <paramref name="timeout"/>) and returns its output.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string workingDirectory, string fileName, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.\n{stderr}\n{stdout}");
        }
        // WaitForExitAsync also waits for the redirected streams to reach EOF.
        lock (stdout)
            lock (stderr)
                return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
