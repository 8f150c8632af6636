using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class ConnectSecurityTestsOnServer(SystemFixture<OnServer> fixture) : ConnectSecurityTests<OnServer>(fixture);

public sealed class ConnectSecurityTestsOnFunctions(SystemFixture<OnFunctions> fixture) : ConnectSecurityTests<OnFunctions>(fixture);

/// <summary>
/// On both hosts: the connect flow's defences (README "Security"): the way back after a repeated Allow, clean return
/// URLs, answers that neither cache nor leak the code, logs without the callback's query, the refusal
/// of an Alpaca account another user already connected, and PKCE end to end.
/// </summary>
public abstract partial class ConnectSecurityTests<THost>(SystemFixture<THost> fixture) : IClassFixture<SystemFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;

    [SkippableFact]
    public async Task Back_and_Allow_again_after_a_successful_connect_offers_the_way_back_without_a_second_exchange()
    {
        var consentUrl = (await S.Browser.GetAsync(await S.CreateLinkAsync("nora"))).Headers.Location!;
        var first = (await ConsentPage.SubmitAsync(S.Browser, consentUrl, "allow", username: "nora-alpaca")).Headers.Location!;
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?alpaca_connect=connected&env=paper", (await S.Browser.GetAsync(first)).Headers.Location!.ToString());
        var before = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("nora", "paper")).Value;
        Assert.Equal(1, await TokensIssuedAsync(S, "nora-alpaca"));

        // Back to the consent page, Allow again: Alpaca sends a fresh code with the same (used) state.
        var again = (await ConsentPage.SubmitAsync(S.Browser, consentUrl, "allow", username: "nora-alpaca")).Headers.Location!;
        Assert.NotEqual(QueryHelpers.ParseQuery(first.Query)["code"], QueryHelpers.ParseQuery(again.Query)["code"]);
        var page = await S.Browser.GetAsync(again);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("already completed", html);
        Assert.Equal([$"{TestSystem.ReturnOrigin}/connected?alpaca_connect=connected&env=paper"], Links(html));

        // Nothing stored, nothing exchanged.
        var after = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("nora", "paper")).Value;
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(1, await TokensIssuedAsync(S, "nora-alpaca"));
    }

    [SkippableFact]
    public async Task The_return_url_carries_each_parameter_once_and_keeps_its_own_query_and_fragment()
    {
        // The demo page returns to itself with ?user_id=&env= (and a stale result after a retry).
        var connected = await ConnectAsync(S, "olive", "olive-alpaca", TestSystem.ReturnOrigin + "/connected?user_id=olive&env=paper&next=%2Fa%20b#done");
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?user_id=olive&next=%2Fa%20b&alpaca_connect=connected&env=paper#done", connected.OriginalString);

        var consentUrl = (await S.Browser.GetAsync(await S.CreateLinkAsync("olive", returnUrl: TestSystem.ReturnOrigin + "/connected?alpaca_connect=error&reason=access_denied&env=paper&x=1"))).Headers.Location!;
        var denied = await S.Browser.GetAsync((await ConsentPage.SubmitAsync(S.Browser, consentUrl, "deny")).Headers.Location!);
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?x=1&alpaca_connect=error&env=paper&reason=access_denied", denied.Headers.Location!.OriginalString);
    }

    [SkippableFact]
    public async Task Authorize_and_callback_answers_are_neither_cached_nor_leaked_through_the_referrer()
    {
        var link = await S.CreateLinkAsync("pia");
        var authorize = await S.Browser.GetAsync(link);
        var callback = (await ConsentPage.SubmitAsync(S.Browser, authorize.Headers.Location!, "allow", username: "pia-alpaca")).Headers.Location!;
        var answers = new Dictionary<string, HttpResponseMessage>
        {
            ["authorize redirect"] = authorize,
            ["authorize page (used link)"] = await S.Browser.GetAsync(link),
            ["callback redirect"] = await S.Browser.GetAsync(callback),
            ["callback page (used state)"] = await S.Browser.GetAsync(callback),
            ["callback page (unknown state)"] = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/callback?code=x&state=" + new string('B', 43))),
        };
        foreach (var (what, response) in answers)
        {
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what}: Cache-Control is '{response.Headers.CacheControl}'");
            Assert.True(response.Headers.TryGetValues("Referrer-Policy", out var policy) && policy.SequenceEqual(["no-referrer"]), $"{what}: no Referrer-Policy: no-referrer");
        }
    }

    [SkippableFact]
    public async Task The_callbacks_code_and_state_never_reach_the_logs_not_even_aspnet_request_logging()
    {
        await using var s = await TestSystem.StartAsync(host: THost.Kind, settings: new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
        });
        var consentUrl = (await s.Browser.GetAsync(await s.CreateLinkAsync("quinn"))).Headers.Location!;
        var callback = (await ConsentPage.SubmitAsync(s.Browser, consentUrl, "allow", username: "quinn-alpaca")).Headers.Location!;
        Assert.Contains("alpaca_connect=connected", (await s.Browser.GetAsync(callback)).Headers.Location!.ToString());
        // A second code for the same state (Back, Allow): never exchanged, so still good at Alpaca.
        var unused = (await ConsentPage.SubmitAsync(s.Browser, consentUrl, "allow", username: "quinn-alpaca")).Headers.Location!;
        await s.Browser.GetAsync(unused);
        var unknown = new Uri(s.ServerUrl, "/api/oauth/callback?code=leaked-code-0123456789&state=" + new string('C', 43));
        await s.Browser.GetAsync(unknown);

        var secrets = new[] { callback, unused, unknown }
            .SelectMany(u => new[] { QueryHelpers.ParseQuery(u.Query)["code"].ToString(), QueryHelpers.ParseQuery(u.Query)["state"].ToString() })
            .Distinct().ToList();
        Assert.Equal(5, secrets.Count);
        var lines = s.Logs.Lines.ToList();
        // The requests were logged (so the check means something), just without their query.
        // (The Server's request log names path and status; the Functions host names the function.)
        Assert.Contains(lines, l => THost.Kind == HostKind.Server
            ? l.Contains("/api/oauth/callback", StringComparison.Ordinal) && l.Contains("302", StringComparison.Ordinal)
            : l.Contains("Executed 'Functions.OAuthCallback' (Succeeded", StringComparison.Ordinal));
        // Leaks are shown with the values blanked, so the test's own output holds none either.
        var leaks = lines.Where(l => secrets.Any(x => l.Contains(x, StringComparison.Ordinal)))
            .Select(l => secrets.Aggregate(l, (line, x) => line.Replace(x, "<code-or-state>", StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, "Logged with a code or state:\n" + string.Join('\n', leaks));
    }

    [SkippableFact]
    public async Task An_account_already_connected_to_another_user_is_refused_with_a_reason_and_an_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscribed = await S.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = receiver.Url("/refused"), event_types = new[] { "connection.refused" } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);

        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "rose", "shared-1")).ToString());
        var before = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("rose", "paper")).Value;

        var refused = await ConnectAsync(S, "mallory", "shared-1");
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?alpaca_connect=error&env=paper&reason=account_already_connected", refused.ToString());
        Assert.Empty(await ListAsync(S, "mallory"));
        Assert.Equal(before.ETag, (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("rose", "paper")).Value.ETag);

        var hook = Assert.Single(await receiver.WaitForAsync("/refused", r => r.Count >= 1));
        using var body = JsonDocument.Parse(hook.Body);
        Assert.Equal("connection.refused", body.RootElement.GetProperty("type").GetString());
        var data = body.RootElement.GetProperty("data");
        Assert.Equal(["account_id", "env", "reason", "user_id"], data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("mallory", data.GetProperty("user_id").GetString());
        Assert.Equal("paper", data.GetProperty("env").GetString());
        Assert.Equal("account_already_connected", data.GetProperty("reason").GetString());
        Assert.Equal(before.GetString("AccountId"), data.GetProperty("account_id").GetString());
        Assert.Contains(S.Logs.Lines, l => l.Contains(THost.Kind == HostKind.Server ? "UserId=mallory" : "mallory", StringComparison.Ordinal) && l.Contains("refused", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_same_user_may_reconnect_and_a_user_who_left_the_account_does_not_block_another()
    {
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "sven", "shared-2")).ToString());
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "sven", "shared-2")).ToString());
        var accountId = (await ListAsync(S, "sven")).Single().GetProperty("account_id").GetString()!;
        // The owner is found by key (account id, env), not by scanning connections.
        var owner = await S.Table("accountowners").GetEntityAsync<TableEntity>(accountId, "paper");
        Assert.Equal("sven", owner.Value.GetString("UserId"));

        // Disconnected: the account is free for another user, and then the first one is refused.
        Assert.Equal(HttpStatusCode.NoContent, (await S.Api.DeleteAsync("/api/connections/sven/paper")).StatusCode);
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "tara", "shared-2")).ToString());
        Assert.Contains("reason=account_already_connected", (await ConnectAsync(S, "sven", "shared-2")).ToString());

        // Reconnected to another account: the old one is free.
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "tara", "shared-3")).ToString());
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "sven", "shared-2")).ToString());
        Assert.Equal(accountId, (await ListAsync(S, "sven")).Single().GetProperty("account_id").GetString());
    }

    [SkippableFact]
    public async Task Users_racing_for_one_account_end_with_exactly_one_connection()
    {
        var store = S.Services.GetRequiredService<ConnectionStore>();
        var account = new AlpacaAccount { Id = Guid.NewGuid().ToString(), AccountNumber = "PA-RACE", Status = "ACTIVE" };
        var users = Enumerable.Range(1, 6).Select(i => $"racer-{i}").ToList();
        var results = await Task.WhenAll(users.Select(u => Task.Run(() =>
            store.ConnectAsync(u, AlpacaEnv.Paper, account, "trading", new AccessToken("token-of-" + u), allowSharedAccounts: false, default))));

        var winner = Assert.Single(results, r => r.Connection is not null).Connection!.UserId;
        Assert.All(results.Where(r => r.Connection is null), r =>
        {
            Assert.Equal("account_already_connected", r.RefusedReason);
            Assert.Equal(winner, r.HeldBy);
        });
        foreach (var user in users)
            Assert.Equal(user == winner ? 1 : 0, (await ListAsync(S, user)).Count);
    }

    [SkippableFact]
    public async Task With_AllowSharedAccounts_two_users_may_connect_the_same_account()
    {
        await using var s = await TestSystem.StartAsync(host: THost.Kind, settings: new Dictionary<string, string?> { ["Connect:AllowSharedAccounts"] = "true" });
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(s, "uma", "shared-4")).ToString());
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(s, "vera", "shared-4")).ToString());
        Assert.Equal((await ListAsync(s, "uma")).Single().GetProperty("account_id").GetString(), (await ListAsync(s, "vera")).Single().GetProperty("account_id").GetString());
    }

    [SkippableFact]
    public async Task Without_pkce_a_code_injected_into_another_users_flow_is_refused_only_once_the_account_is_connected()
    {
        // The residual risk (README "Security"): the victim's code, redeemed in the attacker's flow,
        // binds the victim's account to the attacker while nobody holds that account yet ...
        var (victimCode, _) = await CodeAsync(S, "walt", "victim-1");
        var (_, attackerState) = await CodeAsync(S, "mallory2", "mallory2-alpaca");
        var injected = await S.Browser.GetAsync(Callback(S, victimCode, attackerState));
        Assert.Contains("alpaca_connect=connected", injected.Headers.Location!.ToString());
        Assert.Single(await ListAsync(S, "mallory2"));

        // ... and is refused once the victim has connected it.
        Assert.Contains("alpaca_connect=connected", (await ConnectAsync(S, "xena", "victim-2")).ToString());
        (victimCode, _) = await CodeAsync(S, "xena", "victim-2");
        (_, attackerState) = await CodeAsync(S, "mallory3", "mallory3-alpaca");
        Assert.Contains("reason=account_already_connected", (await S.Browser.GetAsync(Callback(S, victimCode, attackerState))).Headers.Location!.ToString());
        Assert.Empty(await ListAsync(S, "mallory3"));
    }

    [SkippableFact]
    public async Task With_pkce_the_authorize_redirect_carries_an_S256_challenge_and_an_injected_code_is_refused_by_the_token_endpoint()
    {
        await using var s = await TestSystem.StartAsync(host: THost.Kind, settings: new Dictionary<string, string?> { ["Connect:UsePkce"] = "true" });

        var consentUrl = (await s.Browser.GetAsync(await s.CreateLinkAsync("yara"))).Headers.Location!;
        var query = QueryHelpers.ParseQuery(consentUrl.Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", query["code_challenge"].ToString());
        Assert.False(query.ContainsKey("code_verifier"));
        var callback = (await ConsentPage.SubmitAsync(s.Browser, consentUrl, "allow", username: "yara-alpaca")).Headers.Location!;
        Assert.Contains("alpaca_connect=connected", (await s.Browser.GetAsync(callback)).Headers.Location!.ToString());

        // Another flow's challenge differs; the victim's code, bound to the victim's challenge, fails in the attacker's flow.
        var (victimCode, victimState) = await CodeAsync(s, "zoe", "zoe-alpaca");
        var (_, attackerState) = await CodeAsync(s, "mallory", "mallory-alpaca");
        var injected = await s.Browser.GetAsync(Callback(s, victimCode, attackerState));
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?alpaca_connect=error&env=paper&reason=exchange_failed", injected.Headers.Location!.ToString());
        Assert.Empty(await ListAsync(s, "mallory"));
        Assert.Equal(0, await TokensIssuedAsync(s, "zoe-alpaca"));
        Assert.NotEqual(victimState, attackerState);
    }

    /// <summary>Link, consent (Allow as <paramref name="username"/> at the Sandbox), callback: where the browser ends up.</summary>
    private static async Task<Uri> ConnectAsync(TestSystem s, string userId, string username, string returnUrl = TestSystem.ReturnOrigin + "/connected")
    {
        var consentUrl = (await s.Browser.GetAsync(await s.CreateLinkAsync(userId, returnUrl: returnUrl))).Headers.Location!;
        var callback = (await ConsentPage.SubmitAsync(s.Browser, consentUrl, "allow", username: username)).Headers.Location!;
        var done = await s.Browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        return done.Headers.Location!;
    }

    /// <summary>A flow stopped at the callback: the code Alpaca sent and the state it came back with.</summary>
    private static async Task<(string Code, string State)> CodeAsync(TestSystem s, string userId, string username)
    {
        var consentUrl = (await s.Browser.GetAsync(await s.CreateLinkAsync(userId))).Headers.Location!;
        var callback = (await ConsentPage.SubmitAsync(s.Browser, consentUrl, "allow", username: username)).Headers.Location!;
        var query = QueryHelpers.ParseQuery(callback.Query);
        return (query["code"].ToString(), query["state"].ToString());
    }

    private static Uri Callback(TestSystem s, string code, string state) =>
        new(s.ServerUrl, $"/api/oauth/callback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");

    private static async Task<int> TokensIssuedAsync(TestSystem s, string username)
    {
        using var doc = JsonDocument.Parse(await s.Browser.GetStringAsync(new Uri(s.SandboxUrl, "/sandbox/admin/tokens/count?username=" + username)));
        return doc.RootElement.GetProperty("count").GetInt32();
    }

    private static async Task<List<JsonElement>> ListAsync(TestSystem s, string userId)
    {
        using var doc = JsonDocument.Parse(await s.Api.GetStringAsync($"/api/connections/{userId}"));
        return doc.RootElement.GetProperty("connections").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static List<string> Links(string html) =>
        Href().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    [GeneratedRegex("<a [^>]*href=\"([^\"]*)\"")]
    private static partial Regex Href();
}
