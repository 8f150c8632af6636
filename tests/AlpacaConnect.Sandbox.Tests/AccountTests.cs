using System.Net;
using System.Net.Http.Json;

namespace AlpacaConnect.Sandbox.Tests;

public sealed class AccountTests
{
    [Fact]
    public async Task Account_with_token_has_alpacas_shape()
    {
        await using var sb = await Running.StartAsync();
        var token = await sb.TokenAsync("alice");
        var account = await sb.Trader(token).GetJsonAsync("/v2/account");

        Assert.True(Guid.TryParse(account.Str("id"), out _));
        Assert.Matches("^PA[0-9]{10}$", account.Str("account_number"));
        Assert.Equal("ACTIVE", account.Str("status"));
        Assert.Equal("USD", account.Str("currency"));
        foreach (var money in new[] { "cash", "buying_power", "equity", "last_equity", "portfolio_value", "long_market_value", "short_market_value", "multiplier" })
        {
            Assert.Equal(System.Text.Json.JsonValueKind.String, account.GetProperty(money).ValueKind);
        }

        Assert.Equal(100000m, account.Dec("cash"));
        Assert.Equal(100000m, account.Dec("buying_power"));
        Assert.False(account.GetProperty("pattern_day_trader").GetBoolean());
        Assert.Equal(0, account.GetProperty("daytrade_count").GetInt32());
        foreach (var flag in new[] { "trading_blocked", "transfers_blocked", "account_blocked", "trade_suspended_by_user", "shorting_enabled" })
        {
            Assert.False(account.GetProperty(flag).GetBoolean());
        }

        Assert.True(DateTimeOffset.TryParse(account.Str("created_at"), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Account_ids_are_stable_per_user_and_env()
    {
        await using var sb = await Running.StartAsync();
        var first = await sb.Trader(await sb.TokenAsync("alice")).GetJsonAsync("/v2/account");
        var again = await sb.Trader(await sb.TokenAsync("alice")).GetJsonAsync("/v2/account");
        var bob = await sb.Trader(await sb.TokenAsync("bob")).GetJsonAsync("/v2/account");
        var live = await sb.Trader(await sb.TokenAsync("alice", "live"), "live").GetJsonAsync("/v2/account");

        Assert.Equal(first.Str("id"), again.Str("id"));
        Assert.NotEqual(first.Str("id"), bob.Str("id"));
        Assert.NotEqual(first.Str("id"), live.Str("id"));
        Assert.DoesNotMatch("^PA", live.Str("account_number"));

        // Another server instance derives the same ids.
        await using var other = await Running.StartAsync();
        var elsewhere = await other.Trader(await other.TokenAsync("alice")).GetJsonAsync("/v2/account");
        Assert.Equal(first.Str("id"), elsewhere.Str("id"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer ")]
    [InlineData("Bearer not-a-token")]
    [InlineData("Basic c2FuZGJveDpzYW5kYm94")]
    public async Task Account_without_valid_token_is_401(string? authorization)
    {
        await using var sb = await Running.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/paper/v2/account", UriKind.Relative));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await sb.Http.SendAsync(request);
        await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "request is not authorized");
    }

    [Fact]
    public async Task Revoked_token_is_401()
    {
        await using var sb = await Running.StartAsync();
        var token = await sb.TokenAsync("alice");
        var other = await sb.TokenAsync("bob");
        await sb.Trader(token).GetJsonAsync("/v2/account");

        using (var revoke = await sb.Http.PostAsJsonAsync(new Uri("/sandbox/admin/tokens/revoke", UriKind.Relative), new { access_token = token }))
        {
            var body = await Running.Json(revoke);
            Assert.Equal(1, body.RootElement.GetProperty("revoked").GetInt32());
        }

        using var response = await sb.Trader(token).GetAsync("/v2/account");
        await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "request is not authorized");
        await sb.Trader(other).GetJsonAsync("/v2/account"); // others unaffected
    }

    [Fact]
    public async Task Revoking_a_user_revokes_all_their_tokens()
    {
        await using var sb = await Running.StartAsync();
        var paper = await sb.TokenAsync("alice");
        var live = await sb.TokenAsync("alice", "live");
        var bob = await sb.TokenAsync("bob");

        using (var revoke = await sb.Http.PostAsJsonAsync(new Uri("/sandbox/admin/tokens/revoke", UriKind.Relative), new { username = "alice" }))
        {
            using var body = await Running.Json(revoke);
            Assert.Equal(2, body.RootElement.GetProperty("revoked").GetInt32());
        }

        using (var r = await sb.Trader(paper).GetAsync("/v2/account"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }

        using (var r = await sb.Trader(live, "live").GetAsync("/v2/account"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }

        using var count = await Running.Json(await sb.Http.GetAsync(new Uri("/sandbox/admin/tokens/count", UriKind.Relative)));
        Assert.Equal(1, count.RootElement.GetProperty("count").GetInt32());
        await sb.Trader(bob).GetJsonAsync("/v2/account");
    }

    [Theory]
    [InlineData("paper", "live")]
    [InlineData("live", "paper")]
    public async Task Token_used_on_the_other_env_is_401_scope(string authorizedFor, string usedOn)
    {
        await using var sb = await Running.StartAsync();
        var token = await sb.TokenAsync(env: authorizedFor);

        await sb.Trader(token, authorizedFor).GetJsonAsync("/v2/account");
        using var response = await sb.Trader(token, usedOn).GetAsync("/v2/account");
        await Running.AssertError(response, HttpStatusCode.Unauthorized, 40110000, "access token is not authorized for this scope");
    }

    [Fact]
    public async Task Token_authorized_without_env_covers_both()
    {
        await using var sb = await Running.StartAsync();
        var token = await sb.TokenAsync(env: null);

        var paper = await sb.Trader(token, "paper").GetJsonAsync("/v2/account");
        var live = await sb.Trader(token, "live").GetJsonAsync("/v2/account");
        Assert.NotEqual(paper.Str("id"), live.Str("id"));
    }

    [Fact]
    public async Task Health_is_200()
    {
        await using var sb = await Running.StartAsync();
        using var response = await sb.Http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Faults_can_be_read_and_changed_at_run_time()
    {
        await using var sb = await Running.StartAsync();
        using (var get = await Running.Json(await sb.Http.GetAsync(new Uri("/sandbox/admin/faults", UriKind.Relative))))
        {
            Assert.Equal(0, get.RootElement.GetProperty("latency_ms").GetInt32());
            Assert.Equal(200, get.RootElement.GetProperty("rate_limit_per_minute").GetInt32());
        }

        using var put = await sb.Http.PutAsJsonAsync(new Uri("/sandbox/admin/faults", UriKind.Relative),
            new Dictionary<string, object> { ["latency_ms"] = 50, ["error_rate"] = 0.2, ["timeout_rate"] = 0, ["rate_limit_per_minute"] = 120 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var after = await Running.Json(await sb.Http.GetAsync(new Uri("/sandbox/admin/faults", UriKind.Relative)));
        Assert.Equal(50, after.RootElement.GetProperty("latency_ms").GetInt32());
        Assert.Equal(0.2, after.RootElement.GetProperty("error_rate").GetDouble());
        Assert.Equal(120, after.RootElement.GetProperty("rate_limit_per_minute").GetInt32());

        using var bad = await sb.Http.PutAsJsonAsync(new Uri("/sandbox/admin/faults", UriKind.Relative), new Dictionary<string, object> { ["error_rate"] = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
