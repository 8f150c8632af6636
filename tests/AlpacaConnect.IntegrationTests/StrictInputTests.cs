using System.Net;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

public sealed class StrictInputFixture<THost> : SystemFixture<THost> where THost : IHostChoice
{
    protected override Task PrepareAsync(TestSystem system) => system.ConnectAsync("sam");
}

public sealed class StrictInputTestsOnServer(StrictInputFixture<OnServer> fixture) : StrictInputTests<OnServer>(fixture);

public sealed class StrictInputTestsOnFunctions(StrictInputFixture<OnFunctions> fixture) : StrictInputTests<OnFunctions>(fixture);

/// <summary>JSON bodies are declared application/json (parsed as a media type) and name each key once.</summary>
public abstract class StrictInputTests<THost>(StrictInputFixture<THost> fixture) : IClassFixture<StrictInputFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;
    private const string Subscription = """{"url":"https://example.com/hook","event_types":["connection.revoked"]}""";
    private const string Order = """{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day"}""";

    private static HttpRequestMessage Post(string path, string json, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        if (contentType is not null)
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return request;
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("detail").GetString()!;
    }

    [SkippableTheory]
    [InlineData("application/jsonx")]
    [InlineData("application/json-patch")]
    [InlineData("text/plain")]
    [InlineData("application/problem+json")]
    [InlineData("application/merge-patch+json")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("not a media type")]
    [InlineData(null)]
    public async Task A_trade_or_subscription_body_not_declared_as_application_json_is_415_and_stores_nothing(string? contentType)
    {
        var (trades, subscriptions) = (await S.CountRowsAsync(Tables.Trades), await S.CountRowsAsync(Tables.WebhookSubscriptions));

        await ProblemAssert.AssertProblemAsync(await S.Api.SendAsync(Post("/api/trades", """{"user_id":"sam","env":"paper","order":""" + Order + "}", contentType)),
            HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await ProblemAssert.AssertProblemAsync(await S.Api.SendAsync(Post("/api/webhooks/subscriptions", Subscription, contentType)),
            HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");

        Assert.Equal(trades, await S.CountRowsAsync(Tables.Trades));
        Assert.Equal(subscriptions, await S.CountRowsAsync(Tables.WebhookSubscriptions));
    }

    [SkippableTheory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    public async Task Application_json_with_or_without_a_utf8_charset_is_taken(string contentType)
    {
        var trade = await S.Api.SendAsync(Post("/api/trades", """{"user_id":"sam","env":"paper","order":""" + Order + "}", contentType));
        Assert.Equal(HttpStatusCode.Accepted, trade.StatusCode);
        var subscription = await S.Api.SendAsync(Post("/api/webhooks/subscriptions", Subscription, contentType));
        Assert.Equal(HttpStatusCode.Created, subscription.StatusCode);
    }

    [SkippableTheory]
    [InlineData("""{"user_id":"sam","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","qty":"100","time_in_force":"day"}}""", "qty")]
    [InlineData("""{"user_id":"sam","user_id":"someone-else","env":"paper","order":{"symbol":"AAPL","side":"buy","type":"market","qty":"1","time_in_force":"day"}}""", "user_id")]
    [InlineData("""{"user_id":"sam","env":"paper","order":{"symbol":"AAPL","side":"sell","type":"limit","qty":"1","time_in_force":"gtc","order_class":"oco","take_profit":{"limit_price":"310","limit_price":"290"},"stop_loss":{"stop_price":"280"}}}""", "limit_price")]
    public async Task A_trade_that_names_a_key_twice_is_400_naming_the_key_and_stores_nothing(string json, string key)
    {
        var (trades, orders) = (await S.CountRowsAsync(Tables.Trades), (await S.SandboxOrdersAsync("sam")).Count);

        var response = await S.Api.SendAsync(Post("/api/trades", json, "application/json"));
        await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.BadRequest, "malformed-body");
        Assert.Contains($"'{key}'", await DetailAsync(response), StringComparison.Ordinal);

        await Task.Delay(300); // an order placed inline would be at the Sandbox by now
        Assert.Equal(trades, await S.CountRowsAsync(Tables.Trades));
        Assert.Equal(orders, (await S.SandboxOrdersAsync("sam")).Count);
    }

    [SkippableFact]
    public async Task A_subscription_or_connect_link_that_names_a_key_twice_is_400_naming_the_key()
    {
        var (subscriptions, links) = (await S.CountRowsAsync(Tables.WebhookSubscriptions), await S.CountRowsAsync(Tables.ConnectLinks));

        var subscription = await S.Api.SendAsync(Post("/api/webhooks/subscriptions",
            """{"url":"https://example.com/hook","url":"https://attacker.example/hook","event_types":["connection.revoked"]}""", "application/json"));
        await ProblemAssert.AssertProblemAsync(subscription, HttpStatusCode.BadRequest, "malformed-body");
        Assert.Contains("'url'", await DetailAsync(subscription), StringComparison.Ordinal);
        Assert.Equal(subscriptions, await S.CountRowsAsync(Tables.WebhookSubscriptions));

        var link = await S.Api.SendAsync(Post("/api/connect-links",
            """{"user_id":"vera","env":"paper","return_url":"https://app.example.com/a","return_url":"https://app.example.com/b"}""", "application/json"));
        await ProblemAssert.AssertProblemAsync(link, HttpStatusCode.BadRequest, "malformed-body");
        Assert.Contains("'return_url'", await DetailAsync(link), StringComparison.Ordinal);
        Assert.Equal(links, await S.CountRowsAsync(Tables.ConnectLinks));
    }
}
