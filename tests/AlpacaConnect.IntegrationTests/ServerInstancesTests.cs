using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// Two Server processes (the built Server, started as `dotnet AlpacaConnect.Server.dll`) on one
/// Azurite prefix and one Sandbox: every timer occurrence runs on exactly one of them (the blob
/// lease of Core/Storage/TimerLeases; the other logs it skipped), and trades posted to both are each
/// placed once. Server-only by nature: it is about running several Servers.
/// </summary>
public sealed partial class ServerInstancesTests
{
    private static readonly string[] Timers = ["trade status sync", "webhook outbox sweep", "retention"];

    [Fact]
    public async Task Two_servers_run_each_timer_once_per_occurrence_and_place_each_trade_once()
    {
        var prefix = Azurite.NewPrefix("t", 12);
        var urls = SystemUrls.Next();
        var second = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var sandbox = await SystemStart.StartSandboxAsync(urls);
        var settings = SystemStart.AppSettings(urls, Azurite.ConnectionString, prefix, TestSystem.FunctionKey, TestSystem.ReturnOrigin,
            SystemStart.NewKey(), "multi-server-link-secret", logLevel: "Information");
        // Every timer every 3 s, so a dozen seconds hold several occurrences of each.
        settings["Trading:StatusSyncSchedule"] = "*/3 * * * * *";
        settings["Webhooks:SweepSchedule"] = "*/3 * * * * *";
        settings["Retention:Schedule"] = "*/3 * * * * *";
        settings["Logging:LogLevel:AlpacaConnect.Server.Background"] = "Debug";
        settings["Logging:Console:FormatterName"] = "simple";
        settings["Logging:Console:FormatterOptions:SingleLine"] = "true";

        await using var a = await ServerProcess.StartAsync(urls.App, settings);
        await using var b = await ServerProcess.StartAsync(second, settings);
        try
        {
            using var apiA = Api(urls.App);
            using var apiB = Api(second);
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
            string[] users = ["mia", "ned", "ola", "pip"];
            foreach (var user in users)
                await SystemStart.ConnectAsync(apiA, browser, user, "paper", TestSystem.ReturnOrigin + "/connected");

            var ids = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var api = i % 2 == 0 ? apiA : apiB;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades")
                {
                    Content = JsonContent.Create(new { user_id = users[i % users.Length], env = "paper", order = new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" } }),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var response = await api.SendAsync(request, ct);
                Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                ids.Add(doc.RootElement.GetProperty("id").GetString()!);
            });
            foreach (var id in ids)
                await WaitFilledAsync(apiB, id);

            // Let each timer come round a few more times on both instances.
            await Task.Delay(TimeSpan.FromSeconds(12));

            foreach (var user in users)
            {
                using var doc = JsonDocument.Parse(await browser.GetStringAsync(new Uri(urls.Sandbox, $"/sandbox/admin/orders?username={user}-alpaca&env=paper")));
                var orders = doc.RootElement.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("order").GetProperty("client_order_id").GetString()).ToList();
                Assert.Equal(10, orders.Count);
                Assert.Equal(10, orders.Distinct().Count());
            }
        }
        finally
        {
            await a.StopAsync();
            await b.StopAsync();
            await Azurite.DeletePrefixedAsync(prefix);
        }

        foreach (var timer in Timers)
        {
            var ranA = Occurrences(a, timer, ran: true);
            var ranB = Occurrences(b, timer, ran: true);
            var seenA = ranA.Concat(Occurrences(a, timer, ran: false)).ToHashSet();
            var seenB = ranB.Concat(Occurrences(b, timer, ran: false)).ToHashSet();
            // The occurrences both instances reached (each ran or skipped it): exactly one ran each.
            var both = seenA.Intersect(seenB).Order().ToList();
            Assert.True(both.Count >= 4, $"{timer}: only {both.Count} occurrences reached both instances.");
            foreach (var occurrence in both)
                Assert.True(ranA.Contains(occurrence) ^ ranB.Contains(occurrence), $"{timer} at {occurrence:O}: ran on A {ranA.Contains(occurrence)}, on B {ranB.Contains(occurrence)}.");
            // And no occurrence ran twice anywhere.
            Assert.Empty(ranA.Intersect(ranB));
        }
    }

    private static HttpClient Api(Uri url)
    {
        var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Add("x-functions-key", TestSystem.FunctionKey);
        return http;
    }

    private static async Task WaitFilledAsync(HttpClient api, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? status;
        do
        {
            using var doc = JsonDocument.Parse(await api.GetStringAsync("/api/trades/" + Uri.EscapeDataString(id)));
            status = doc.RootElement.GetProperty("status").GetString();
            if (status == "filled")
                return;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"Trade {id} is {status}, not filled.");
    }

    [GeneratedRegex(@"Scheduled run (?<name>.+?) for (?<at>\S+) (?<what>ran on this instance|skipped)")]
    private static partial Regex ScheduledRun();

    /// <summary>The occurrences of <paramref name="timer"/> a Server process says it ran (or skipped).</summary>
    private static HashSet<DateTimeOffset> Occurrences(ServerProcess server, string timer, bool ran) =>
        server.Lines.Select(l => ScheduledRun().Match(l))
            .Where(m => m.Success && m.Groups["name"].Value == timer && (m.Groups["what"].Value == "skipped") != ran)
            .Select(m => DateTimeOffset.Parse(m.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
            .ToHashSet();
}
