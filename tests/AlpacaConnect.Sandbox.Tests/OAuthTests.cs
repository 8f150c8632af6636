using System.Net;
using System.Web;

namespace AlpacaConnect.Sandbox.Tests;

public sealed class OAuthTests
{
    [Fact]
    public async Task Consent_page_shows_client_scopes_env_and_the_form()
    {
        await using var sb = await Running.StartAsync();
        using var response = await sb.Http.GetAsync(new Uri("/oauth/authorize?" + Running.AuthorizeQuery(scope: "account:write trading", state: "<s>"), UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(Running.ClientId, html, StringComparison.Ordinal);
        Assert.Contains("<li>account:write</li>", html, StringComparison.Ordinal);
        Assert.Contains("<li>trading</li>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"env\">paper<", html, StringComparison.Ordinal);
        Assert.Contains("method=\"post\" action=\"/oauth/authorize\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"username\" name=\"username\" value=\"sandbox-user\"", html, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\" id=\"allow\" name=\"decision\" value=\"allow\">Allow</button>", html, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button>", html, StringComparison.Ordinal);
        Assert.Contains("name=\"state\" value=\"&lt;s&gt;\"", html, StringComparison.Ordinal); // echoed values are encoded
        Assert.DoesNotContain("<s>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_client_gets_400_page_and_no_redirect()
    {
        await using var sb = await Running.StartAsync();
        using var response = await sb.Http.GetAsync(new Uri("/oauth/authorize?" + Running.AuthorizeQuery(clientId: "who"), UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("client_id", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/callback")]
    [InlineData("http://localhost:7071/api/oauth/callback/")] // exact match only
    [InlineData("http://localhost:7071/api/oauth/callback?x=1")]
    public async Task Unregistered_redirect_uri_gets_400_page_and_no_redirect(string redirectUri)
    {
        await using var sb = await Running.StartAsync();
        using var get = await sb.Http.GetAsync(new Uri("/oauth/authorize?" + Running.AuthorizeQuery(redirectUri: redirectUri), UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Null(get.Headers.Location);
        Assert.Contains("redirect_uri", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The POST re-validates: a forged form cannot get a code sent elsewhere either.
        using var post = await sb.DecideAsync("allow", redirectUri: redirectUri);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Null(post.Headers.Location);
    }

    [Theory]
    [InlineData("response_type=token", "unsupported_response_type")]
    [InlineData("scope=trading%20admin", "invalid_scope")]
    [InlineData("env=demo", "invalid_request")]
    public async Task Bad_parameters_with_a_valid_redirect_uri_redirect_with_an_oauth_error(string replace, string error)
    {
        await using var sb = await Running.StartAsync();
        var q = HttpUtility.ParseQueryString(Running.AuthorizeQuery());
        var (name, value) = (replace.Split('=')[0], Uri.UnescapeDataString(replace.Split('=')[1]));
        q[name] = value;
        using var response = await sb.Http.GetAsync(new Uri("/oauth/authorize?" + q, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(Running.RedirectUri + "?", location.ToString(), StringComparison.Ordinal);
        var back = HttpUtility.ParseQueryString(location.Query);
        Assert.Equal(error, back["error"]);
        Assert.False(string.IsNullOrEmpty(back["error_description"]));
        Assert.Equal("st-123", back["state"]);
    }

    [Fact]
    public async Task Allow_redirects_with_code_and_state()
    {
        await using var sb = await Running.StartAsync();
        using var response = await sb.DecideAsync("allow", state: "a b&c");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(Running.RedirectUri + "?", location.ToString(), StringComparison.Ordinal);
        var back = HttpUtility.ParseQueryString(location.Query);
        Assert.False(string.IsNullOrEmpty(back["code"]));
        Assert.Equal("a b&c", back["state"]);
        Assert.Null(back["error"]);
    }

    [Fact]
    public async Task Deny_redirects_with_access_denied_and_state()
    {
        await using var sb = await Running.StartAsync();
        using var response = await sb.DecideAsync("deny");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var back = HttpUtility.ParseQueryString(response.Headers.Location!.Query);
        Assert.Equal("access_denied", back["error"]);
        Assert.Equal("st-123", back["state"]);
        Assert.Null(back["code"]);
    }

    [Fact]
    public async Task Redirect_uri_with_a_query_gets_parameters_appended_with_ampersand()
    {
        const string withQuery = "http://localhost:7071/cb?tenant=7";
        await using var sb = await Running.StartAsync(o => o.RedirectUris = Running.RedirectUri + "," + withQuery);
        using var response = await sb.DecideAsync("deny", redirectUri: withQuery);

        Assert.StartsWith(withQuery + "&error=access_denied", response.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_success_has_exactly_access_token_token_type_and_scope()
    {
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync(scope: "account:write trading");
        using var response = await sb.ExchangeAsync(code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = await Running.Json(response);
        var names = json.RootElement.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(["access_token", "scope", "token_type"], names);
        Assert.Equal("bearer", json.RootElement.Str("token_type"));
        Assert.Equal("account:write trading", json.RootElement.Str("scope"));
        Assert.True(json.RootElement.Str("access_token").Length >= 32);
    }

    [Fact]
    public async Task Token_endpoint_refuses_a_json_body_with_invalid_client()
    {
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync();
        using var content = new StringContent(
            $$"""{"grant_type":"authorization_code","code":"{{code}}","client_id":"{{Running.ClientId}}","client_secret":"{{Running.ClientSecret}}","redirect_uri":"{{Running.RedirectUri}}"}""",
            System.Text.Encoding.UTF8, "application/json");
        using var response = await sb.Http.PostAsync(new Uri("/oauth/token", UriKind.Relative), content);

        await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "invalid_client");
    }

    [Fact]
    public async Task Wrong_secret_or_unknown_client_is_invalid_client()
    {
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync();
        using (var response = await sb.ExchangeAsync(code, clientSecret: "nope"))
        {
            await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "invalid_client");
        }

        using (var response = await sb.ExchangeAsync(code, clientId: "someone-else"))
        {
            await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "invalid_client");
        }

        // Client authentication failed before the code was looked at, so it is still good.
        using var ok = await sb.ExchangeAsync(code);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Reused_code_is_invalid_grant()
    {
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync();
        using var first = await sb.ExchangeAsync(code);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await sb.ExchangeAsync(code);
        await Running.AssertError(second, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Fact]
    public async Task Expired_code_is_invalid_grant()
    {
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync();
        sb.Time.Advance(TimeSpan.FromMinutes(11));

        using var response = await sb.ExchangeAsync(code);
        await Running.AssertError(response, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Fact]
    public async Task Code_is_still_good_just_before_ten_minutes()
    {
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync();
        sb.Time.Advance(TimeSpan.FromMinutes(9));

        using var response = await sb.ExchangeAsync(code);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Mismatched_redirect_uri_is_invalid_grant_and_burns_the_code()
    {
        const string other = "http://localhost:7071/other";
        await using var sb = await Running.StartAsync(o => o.RedirectUris = Running.RedirectUri + "," + other);
        var code = await sb.CodeAsync();

        using (var response = await sb.ExchangeAsync(code, redirectUri: other))
        {
            await Running.AssertError(response, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
        }

        using var retry = await sb.ExchangeAsync(code);
        await Running.AssertError(retry, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Fact]
    public async Task Code_issued_to_another_client_is_invalid_grant()
    {
        await using var sb = await Running.StartAsync(o => o.ExtraClients.Add(new SandboxClient
        {
            ClientId = "other-app", ClientSecret = "other-secret", RedirectUris = Running.RedirectUri,
        }));
        var code = await sb.CodeAsync();

        using var response = await sb.ExchangeAsync(code, clientId: "other-app", clientSecret: "other-secret");
        await Running.AssertError(response, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Theory]
    [InlineData("grant_type", "refresh_token", "unsupported_grant_type")]
    [InlineData("grant_type", "", "invalid_request")]
    [InlineData("code", "", "invalid_request")]
    [InlineData("redirect_uri", "", "invalid_request")]
    [InlineData("code", "never-issued", "invalid_grant")]
    public async Task Bad_token_requests_are_400(string field, string value, string message)
    {
        await using var sb = await Running.StartAsync();
        var fields = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = await sb.CodeAsync(), ["client_id"] = Running.ClientId,
            ["client_secret"] = Running.ClientSecret, ["redirect_uri"] = Running.RedirectUri,
        };
        fields[field] = value;
        using var form = new FormUrlEncodedContent(fields);
        using var response = await sb.Http.PostAsync(new Uri("/oauth/token", UriKind.Relative), form);

        await Running.AssertError(response, HttpStatusCode.BadRequest, 40010000, message);
    }
}
