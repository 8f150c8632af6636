using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class ConnectFlowTestsOnServer(SystemFixture<OnServer> fixture) : ConnectFlowTests<OnServer>(fixture);

public sealed class ConnectFlowTestsOnFunctions(SystemFixture<OnFunctions> fixture) : ConnectFlowTests<OnFunctions>(fixture);

/// <summary>The Connect flow as a browser walks it: the app (Server, or Functions under a real host) and Sandbox over HTTP, storage in Azurite.</summary>
public abstract class ConnectFlowTests<THost>(SystemFixture<THost> fixture) : IClassFixture<SystemFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;

    [SkippableFact]
    public async Task Allow_connects_the_account_and_stores_the_token_encrypted()
    {
        var link = await S.CreateLinkAsync("alice", "paper");

        // authorize -> 302 to the Sandbox's consent page with exactly the OAuth parameters Alpaca expects.
        var authorize = await S.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var consentUrl = authorize.Headers.Location!;
        Assert.Contains("&scope=account%3Awrite%20trading&", consentUrl.OriginalString, StringComparison.Ordinal);
        Assert.Equal(new Uri(S.SandboxUrl, "/oauth/authorize").GetLeftPart(UriPartial.Path), consentUrl.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(consentUrl.Query);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal(AlpacaOptions.SandboxClientId, query["client_id"]);
        Assert.Equal(new Uri(S.ServerUrl, "/api/oauth/callback").ToString(), query["redirect_uri"]);
        Assert.Equal("account:write trading", query["scope"]);
        Assert.Equal("paper", query["env"]);
        Assert.Equal(43, query["state"].ToString().Length);

        // Allow -> back to our callback with a code and the same state.
        var consent = await ConsentPage.SubmitAsync(S.Browser, consentUrl, "allow", username: "alice-at-alpaca");
        Assert.Equal(HttpStatusCode.Redirect, consent.StatusCode);
        var callbackUrl = consent.Headers.Location!;
        Assert.StartsWith(new Uri(S.ServerUrl, "/api/oauth/callback").ToString(), callbackUrl.ToString());
        Assert.Equal(query["state"], QueryHelpers.ParseQuery(callbackUrl.Query)["state"]);

        // callback -> the app's return URL with the success marker.
        var callback = await S.Browser.GetAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?alpaca_connect=connected&env=paper", callback.Headers.Location!.ToString());

        // The connection is listed, without any token.
        var listed = await S.Api.GetAsync("/api/connections/alice");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var json = await listed.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(json);
        var connection = Assert.Single(doc.RootElement.GetProperty("connections").EnumerateArray());
        Assert.Equal("paper", connection.GetProperty("env").GetString());
        Assert.Equal("active", connection.GetProperty("status").GetString());
        Assert.Equal("account:write trading", connection.GetProperty("scopes").GetString());
        Assert.StartsWith("PA", connection.GetProperty("account_number").GetString());
        var accountId = connection.GetProperty("account_id").GetString();

        // At rest the token is ciphertext with its key version; it decrypts to a token the Sandbox accepts
        // for the very account that was stored.
        var row = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("alice", "paper")).Value;
        var ciphertext = row.GetString("TokenCiphertext");
        Assert.False(string.IsNullOrEmpty(ciphertext));
        Assert.Equal("config", row.GetString("TokenKeyVersion"));
        var active = await S.Services.GetRequiredService<ConnectionStore>().GetActiveWithTokenAsync("alice", AlpacaEnv.Paper, default);
        var token = active!.Value.Token.Value;
        Assert.DoesNotContain(token, ciphertext);
        Assert.DoesNotContain(token, Encoding.UTF8.GetString(Convert.FromBase64String(ciphertext)));
        Assert.DoesNotContain(token, json);

        using var account = new HttpRequestMessage(HttpMethod.Get, new Uri(S.SandboxUrl, "/paper/v2/account"));
        account.Headers.Authorization = new("Bearer", token);
        var accountResponse = await S.Browser.SendAsync(account);
        Assert.Equal(HttpStatusCode.OK, accountResponse.StatusCode);
        using var accountDoc = JsonDocument.Parse(await accountResponse.Content.ReadAsStringAsync());
        Assert.Equal(accountId, accountDoc.RootElement.GetProperty("id").GetString());

        // Nothing secret reached the logs.
        Assert.DoesNotContain(S.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal)
            || l.Contains(TestSystem.ClientSecret, StringComparison.Ordinal) || l.Contains(S.TokenKey, StringComparison.Ordinal));
        // The Server's logs carry their fields; the Functions host prints the rendered message.
        var userField = S.Host == HostKind.Server ? "UserId=alice" : "alice";
        Assert.Contains(S.Logs.Lines, l => l.Contains(userField, StringComparison.Ordinal) && l.Contains("connected", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Deny_returns_to_the_app_with_access_denied_and_stores_nothing()
    {
        var consentUrl = (await S.Browser.GetAsync(await S.CreateLinkAsync("bob", returnUrl: TestSystem.ReturnOrigin + "/connected?next=%2Fa%20b"))).Headers.Location!;
        var denied = await ConsentPage.SubmitAsync(S.Browser, consentUrl, "deny");
        var callbackUrl = denied.Headers.Location!;
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(callbackUrl.Query)["error"]);

        var callback = await S.Browser.GetAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"{TestSystem.ReturnOrigin}/connected?next=%2Fa%20b&alpaca_connect=error&env=paper&reason=access_denied", callback.Headers.Location!.OriginalString);
        Assert.Empty(await ListAsync("bob"));
    }

    [SkippableFact]
    public async Task A_reused_state_is_refused_and_changes_nothing()
    {
        var callbackUrl = await AllowAsync("carol");
        Assert.Equal(HttpStatusCode.Redirect, (await S.Browser.GetAsync(callbackUrl)).StatusCode);
        var before = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("carol", "paper")).Value;

        var replay = await S.Browser.GetAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode); // a page with the way back to the app (ConnectSecurityTests)
        Assert.Equal("text/html", replay.Content.Headers.ContentType!.MediaType);
        Assert.Contains("already completed", await replay.Content.ReadAsStringAsync());

        var after = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("carol", "paper")).Value;
        Assert.Equal(before.ETag, after.ETag);
    }

    [SkippableFact]
    public async Task An_unknown_state_is_refused_with_a_page_and_stores_nothing()
    {
        var connections = await S.CountRowsAsync(Tables.Connections);
        var forged = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/callback?code=anything&state=" + new string('A', 43)));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("not one we started", await forged.Content.ReadAsStringAsync());

        var missing = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/callback?code=anything"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(connections, await S.CountRowsAsync(Tables.Connections));
    }

    [SkippableFact]
    public async Task A_state_without_a_code_returns_to_the_app_with_an_error()
    {
        var callbackUrl = await AllowAsync("dave");
        var state = QueryHelpers.ParseQuery(callbackUrl.Query)["state"];
        var noCode = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/callback?state=" + state));
        Assert.Equal(HttpStatusCode.Redirect, noCode.StatusCode);
        Assert.Contains("reason=authorization_failed", noCode.Headers.Location!.ToString());
        Assert.Empty(await ListAsync("dave"));
    }

    [SkippableFact]
    public async Task Tampered_and_reused_links_are_refused_without_issuing_a_state()
    {
        var link = await S.CreateLinkAsync("erin");
        var states = await S.CountRowsAsync(Tables.OAuthStates);
        var ticket = QueryHelpers.ParseQuery(link.Query)["link"].ToString();
        var tampered = new Uri(S.ServerUrl, "/api/oauth/authorize?link=" + (ticket[0] == 'A' ? 'B' : 'A') + ticket[1..]);
        var refused = await S.Browser.GetAsync(tampered);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("not valid", await refused.Content.ReadAsStringAsync());
        Assert.Equal(states, await S.CountRowsAsync(Tables.OAuthStates));

        Assert.Equal(HttpStatusCode.Redirect, (await S.Browser.GetAsync(link)).StatusCode);
        var reused = await S.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Gone, reused.StatusCode);
        Assert.Contains("already used", await reused.Content.ReadAsStringAsync());
        Assert.Equal(states + 1, await S.CountRowsAsync(Tables.OAuthStates));
    }

    [SkippableFact]
    public async Task Signed_links_work_once_and_cannot_be_forged_for_another_user()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        var query = Core.Connect.ConnectLinkSigner.Query(TestSystem.LinkSigningSecret, "frank", AlpacaEnv.Paper, TestSystem.ReturnOrigin + "/x", expires);
        var link = new Uri(S.ServerUrl, "/api/oauth/authorize?" + query);

        var forged = await S.Browser.GetAsync(new Uri(link.ToString().Replace("user_id=frank", "user_id=mallory", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        var wrongKey = Core.Connect.ConnectLinkSigner.Query("not-the-secret", "mallory", AlpacaEnv.Paper, TestSystem.ReturnOrigin + "/x", expires);
        Assert.Equal(HttpStatusCode.Forbidden, (await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/authorize?" + wrongKey))).StatusCode);

        var first = await S.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.StartsWith(new Uri(S.SandboxUrl, "/oauth/authorize").ToString(), first.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Gone, (await S.Browser.GetAsync(link)).StatusCode);

        var outside = Core.Connect.ConnectLinkSigner.Query(TestSystem.LinkSigningSecret, "frank", AlpacaEnv.Paper, "https://evil.example.net/", expires);
        Assert.Equal(HttpStatusCode.BadRequest, (await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/authorize?" + outside))).StatusCode);
        var tooLong = Core.Connect.ConnectLinkSigner.Query(TestSystem.LinkSigningSecret, "frank", AlpacaEnv.Paper, TestSystem.ReturnOrigin + "/x", DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal(HttpStatusCode.BadRequest, (await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/authorize?" + tooLong))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/oauth/authorize"))).StatusCode);
    }

    [SkippableTheory]
    [InlineData("https://evil.example.net/connected")]
    [InlineData("https://app.example.com.evil.net/")]
    [InlineData("http://app.example.com/connected")]
    [InlineData("https://user@app.example.com/")]
    [InlineData("/relative")]
    [InlineData("javascript:alert(1)")]
    public async Task A_return_url_outside_the_allowlist_is_refused_and_nothing_stored(string returnUrl)
    {
        var links = await S.CountRowsAsync(Tables.ConnectLinks);
        var response = await S.Api.PostAsJsonAsync("/api/connect-links", new { user_id = "gina", env = "paper", return_url = returnUrl });
        await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "validation", "return_url");
        Assert.Equal(links, await S.CountRowsAsync(Tables.ConnectLinks));
    }

    [SkippableTheory]
    [InlineData("{\"user_id\":\"u\",\"env\":\"paper\"", "malformed-body")]
    [InlineData("{\"user_id\":\"u\",\"env\":\"paper\",\"return_url\":\"https://app.example.com/\",\"admin\":true}", "malformed-body")]
    [InlineData("{\"user_id\":5,\"env\":\"paper\",\"return_url\":\"https://app.example.com/\"}", "malformed-body")]
    [InlineData("{\"env\":\"paper\",\"return_url\":\"https://app.example.com/\"}", "malformed-body")]
    [InlineData("[]", "malformed-body")]
    [InlineData("null", "malformed-body")]
    [InlineData("{\"user_id\":\"a b/c\",\"env\":\"demo\",\"return_url\":\"https://app.example.com/\"}", "validation")]
    public async Task Bad_link_requests_get_problem_json_and_store_nothing(string body, string kind)
    {
        var links = await S.CountRowsAsync(Tables.ConnectLinks);
        var response = await S.Api.PostAsync("/api/connect-links", new StringContent(body, Encoding.UTF8, "application/json"));
        await ProblemAssert.AssertProblemAsync(response, kind == "validation" ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.BadRequest, kind);
        Assert.Equal(links, await S.CountRowsAsync(Tables.ConnectLinks));
    }

    [SkippableFact]
    public async Task Keyed_endpoints_refuse_a_missing_or_wrong_key_and_store_nothing()
    {
        var links = await S.CountRowsAsync(Tables.ConnectLinks);
        foreach (var key in new[] { null, "wrong-key", TestSystem.FunctionKey + "x" })
        {
            foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/connect-links"), (HttpMethod.Get, "/api/connections/hank"), (HttpMethod.Delete, "/api/connections/hank/paper") })
            {
                using var request = new HttpRequestMessage(method, new Uri(S.ServerUrl, path)) { Content = method == HttpMethod.Post ? JsonContent.Create(new { user_id = "hank", env = "paper", return_url = TestSystem.ReturnOrigin + "/" }) : null };
                if (key is not null)
                    request.Headers.Add("x-functions-key", key);
                await ProblemAssert.AssertUnauthorizedAsync(S, await S.Browser.SendAsync(request));
            }
        }
        Assert.Equal(links, await S.CountRowsAsync(Tables.ConnectLinks));
        var byQuery = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/connections/hank?code=" + TestSystem.FunctionKey));
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
    }

    [SkippableFact]
    public async Task Disconnect_removes_the_token_and_keeps_the_record_as_disconnected()
    {
        Assert.Equal(HttpStatusCode.Redirect, (await S.Browser.GetAsync(await AllowAsync("ivy"))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await S.Api.DeleteAsync("/api/connections/ivy/paper")).StatusCode);
        var row = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("ivy", "paper")).Value;
        Assert.False(row.ContainsKey("TokenCiphertext"));
        Assert.Equal("disconnected", Assert.Single(await ListAsync("ivy")).GetProperty("status").GetString());
        Assert.Null(await S.Services.GetRequiredService<ConnectionStore>().GetActiveWithTokenAsync("ivy", AlpacaEnv.Paper, default));

        await ProblemAssert.AssertProblemAsync(await S.Api.DeleteAsync("/api/connections/ivy/live"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.AssertProblemAsync(await S.Api.DeleteAsync("/api/connections/ivy/demo"), HttpStatusCode.UnprocessableEntity, "validation", "env");
        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync("/api/connections/" + new string('x', 129)), HttpStatusCode.UnprocessableEntity, "validation", "user_id");
    }

    [SkippableFact]
    public async Task Reconnecting_replaces_the_connection_with_a_fresh_token()
    {
        Assert.Equal(HttpStatusCode.Redirect, (await S.Browser.GetAsync(await AllowAsync("jack"))).StatusCode);
        var first = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("jack", "paper")).Value.GetString("TokenCiphertext");
        Assert.Equal(HttpStatusCode.Redirect, (await S.Browser.GetAsync(await AllowAsync("jack"))).StatusCode);
        var second = (await S.Table(Tables.Connections).GetEntityAsync<TableEntity>("jack", "paper")).Value.GetString("TokenCiphertext");
        Assert.NotEqual(first, second);
        Assert.Single(await ListAsync("jack"));
    }

    [SkippableFact]
    public async Task Health_answers_200_when_storage_is_reachable_and_unknown_routes_404()
    {
        var health = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var unknown = await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/nope"));
        if (S.Host == HostKind.Server)
            await ProblemAssert.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not-found");
        else
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode); // the Functions host answers unknown routes itself
    }

    private async Task<Uri> AllowAsync(string userId)
    {
        var consentUrl = (await S.Browser.GetAsync(await S.CreateLinkAsync(userId))).Headers.Location!;
        var allowed = await ConsentPage.SubmitAsync(S.Browser, consentUrl, "allow", username: userId + "-alpaca");
        Assert.Equal(HttpStatusCode.Redirect, allowed.StatusCode);
        return allowed.Headers.Location!;
    }

    private async Task<List<JsonElement>> ListAsync(string userId)
    {
        var response = await S.Api.GetAsync($"/api/connections/{userId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("connections").EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
