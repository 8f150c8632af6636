using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Webhooks;
using AlpacaConnect.IntegrationTests.Infrastructure;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace AlpacaConnect.IntegrationTests;

public sealed class WebhookTestsOnServer() : WebhookTests(HostKind.Server);

public sealed class WebhookTestsOnFunctions() : WebhookTests(HostKind.Functions);

/// <summary>Outgoing webhooks through the real queue, to a real HTTP receiver, verified with the StandardWebhooks library, on both hosts.</summary>
public abstract class WebhookTests(HostKind host)
{
    private sealed record Subscription(string Id, string Secret);

    private static async Task<Subscription> SubscribeAsync(TestSystem s, string url, params string[] types)
    {
        var response = await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url, event_types = types, description = "test receiver" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var doc = JsonDocument.Parse(body);
        var secret = doc.RootElement.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        return new Subscription(doc.RootElement.GetProperty("subscription").GetProperty("id").GetString()!, secret);
    }

    private static (string Type, JsonElement Data) Read(ReceivedWebhook hook)
    {
        using var doc = JsonDocument.Parse(hook.Body);
        Assert.Equal(["type", "timestamp", "data"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        return (doc.RootElement.GetProperty("type").GetString()!, doc.RootElement.GetProperty("data").Clone());
    }

    private static void Verify(string secret, ReceivedWebhook hook) => new StandardWebhook(secret).Verify(hook.Body, hook.Headers);

    private static ReceivedWebhook WithSignature(ReceivedWebhook hook, string signature)
    {
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary(hook.Headers.ToDictionary(h => h.Key, h => h.Value)) { ["webhook-signature"] = signature };
        return hook with { Headers = headers };
    }

    private static async Task<List<JsonElement>> AttemptsAsync(TestSystem s, string subscriptionId)
    {
        using var doc = JsonDocument.Parse(await s.Api.GetStringAsync($"/api/webhooks/subscriptions/{subscriptionId}/deliveries"));
        return doc.RootElement.GetProperty("attempts").EnumerateArray().Select(a => a.Clone()).ToList();
    }

    [SkippableFact]
    public async Task A_connection_and_a_trade_produce_their_events_once_per_subscription_with_verifiable_signatures()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var s = await TestSystem.StartAsync(host: host);
        var all = await SubscribeAsync(s, receiver.Url("/all"), "*");
        var fills = await SubscribeAsync(s, receiver.Url("/fills"), EventTypes.OrderFilled);

        await s.ConnectAsync("olga");
        var id = await s.TradeAsync("olga", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        await s.WaitForTradeAsync(id, ["filled"]);

        string[] expected = ["connection.connected", "trade.accepted", "trade.submitted", "order.filled"];
        var got = await receiver.WaitForAsync("/all", r => r.Count >= expected.Length);
        await Task.Delay(500); // nothing more may arrive
        got = receiver.At("/all");
        Assert.Equal(expected.Order(), got.Select(h => Read(h).Type).Order());
        Assert.Equal(got.Count, got.Select(h => h.Headers["webhook-id"].ToString()).Distinct().Count());
        foreach (var hook in got)
        {
            Verify(all.Secret, hook);
            Assert.Throws<WebhookVerificationException>(() => Verify(fills.Secret, hook));
        }
        var filled = got.Single(h => Read(h).Type == "order.filled");
        var data = Read(filled).Data;
        Assert.Equal(id, data.GetProperty("trade_id").GetString());
        Assert.Equal("filled", data.GetProperty("status").GetString());
        Assert.Equal("olga", Read(got.Single(h => Read(h).Type == "connection.connected")).Data.GetProperty("user_id").GetString());

        var onlyFills = await receiver.WaitForAsync("/fills", r => r.Count >= 1);
        Assert.Equal("order.filled", Read(Assert.Single(onlyFills)).Type);
        Verify(fills.Secret, onlyFills[0]);
        Assert.Equal(filled.Headers["webhook-id"].ToString(), onlyFills[0].Headers["webhook-id"].ToString());

        // Every event row in the outbox was dispatched.
        var undispatched = 0;
        await foreach (var _ in s.Table(Tables.Trades).QueryAsync<Azure.Data.Tables.TableEntity>(e => e.GetBoolean("Dispatched") == false))
            undispatched++;
        Assert.Equal(0, undispatched);
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains(all.Secret, StringComparison.Ordinal) || l.Contains(fills.Secret, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_receiver_that_fails_twice_gets_three_attempts_with_the_same_webhook_id_and_one_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("/flaky", call => call <= 2 ? HttpStatusCode.InternalServerError : HttpStatusCode.NoContent);
        await using var s = await TestSystem.StartAsync(host: host);
        var sub = await SubscribeAsync(s, receiver.Url("/flaky"), "*");

        var test = await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/test", null);
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var got = await receiver.WaitForAsync("/flaky", r => r.Count >= 3);
        Assert.Single(got.Select(h => h.Headers["webhook-id"].ToString()).Distinct());
        Assert.All(got, h => Verify(sub.Secret, h));

        var attempts = await WaitForAttemptsAsync(s, sub.Id, a => a.Any(x => x.GetProperty("outcome").GetString() == "delivered"));
        Assert.Equal(["retrying", "retrying", "delivered"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        Assert.Equal([500, 500, 204], attempts.Select(a => a.GetProperty("status_code").GetInt32()));
        var eventId = attempts[0].GetProperty("event_id").GetString()!;
        using var byEvent = JsonDocument.Parse(await s.Api.GetStringAsync($"/api/webhooks/events/{eventId}/deliveries"));
        Assert.Equal(3, byEvent.RootElement.GetProperty("attempts").GetArrayLength());
    }

    [SkippableFact]
    public async Task A_410_disables_the_subscription()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("/gone", _ => HttpStatusCode.Gone);
        await using var s = await TestSystem.StartAsync(host: host);
        var sub = await SubscribeAsync(s, receiver.Url("/gone"), "*");

        await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/test", null);
        await WaitForAttemptsAsync(s, sub.Id, a => a.Count == 1);
        using var doc = JsonDocument.Parse(await s.Api.GetStringAsync($"/api/webhooks/subscriptions/{sub.Id}"));
        Assert.Equal("disabled", doc.RootElement.GetProperty("status").GetString());
        Assert.Single(receiver.At("/gone"));
    }

    [SkippableFact]
    public async Task An_always_failing_receiver_is_dead_lettered_after_the_schedule_and_can_be_redelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var healthy = false;
        receiver.Answer("/down", _ => healthy ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable);
        await using var s = await TestSystem.StartAsync(host: host);
        var sub = await SubscribeAsync(s, receiver.Url("/down"), "*");

        await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/test", null);
        var attempts = await WaitForAttemptsAsync(s, sub.Id, a => a.Any(x => x.GetProperty("outcome").GetString() == "dead_lettered"));
        Assert.Equal(["retrying", "retrying", "retrying", "dead_lettered"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        Assert.Equal(4, receiver.At("/down").Count);

        healthy = true;
        var eventId = attempts[0].GetProperty("event_id").GetString();
        var redeliver = await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/deliveries/{eventId}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        await WaitForAttemptsAsync(s, sub.Id, a => a.Any(x => x.GetProperty("outcome").GetString() == "delivered"));
        var all = receiver.At("/down");
        Assert.Equal(5, all.Count);
        Assert.Single(all.Select(h => h.Headers["webhook-id"].ToString()).Distinct());
        await ProblemAssert.AssertProblemAsync(await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/deliveries/evt_{new string('0', 32)}/redeliver", null), HttpStatusCode.NotFound, "not-found");
    }

    [SkippableFact]
    public async Task During_a_rotation_both_secrets_sign_and_after_the_overlap_only_the_new_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var s = await TestSystem.StartAsync(host: host, settings: new Dictionary<string, string?> { ["Webhooks:RotationOverlap"] = "00:00:03" });
        var sub = await SubscribeAsync(s, receiver.Url("/rot"), "*");

        var rotated = await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/rotate-secret", null);
        using var doc = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync());
        var newSecret = doc.RootElement.GetProperty("secret").GetString()!;
        Assert.NotEqual(sub.Secret, newSecret);

        await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/test", null);
        var during = (await receiver.WaitForAsync("/rot", r => r.Count >= 1))[0];
        var signatures = during.Headers["webhook-signature"].ToString().Split(' ');
        Assert.Equal(2, signatures.Length);
        // The StandardWebhooks package checks only the first signature of a list, so each is checked on its own.
        Verify(newSecret, WithSignature(during, signatures[0]));
        Verify(sub.Secret, WithSignature(during, signatures[1]));
        Assert.Throws<WebhookVerificationException>(() => Verify(sub.Secret, WithSignature(during, signatures[0])));

        await Task.Delay(3500);
        await s.Api.PostAsync($"/api/webhooks/subscriptions/{sub.Id}/test", null);
        var after = (await receiver.WaitForAsync("/rot", r => r.Count >= 2))[1];
        Assert.Single(after.Headers["webhook-signature"].ToString().Split(' '));
        Verify(newSecret, after);
        Assert.Throws<WebhookVerificationException>(() => Verify(sub.Secret, after));
    }

    public static readonly string[] UnsafeTargets =
    [
        "http://example.com/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "https://172.20.0.5/hook",
        "https://192.168.1.10/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://user:pw@example.com/hook",
        "ftp://example.com/hook", "not a url",
    ];

    [SkippableFact]
    public async Task Outside_development_unsafe_targets_are_refused_and_nothing_is_stored()
    {
        await using var s = await TestSystem.StartAsync(host: host, settings: new Dictionary<string, string?> { ["Webhooks:AllowPrivateTargets"] = "false" });
        foreach (var url in UnsafeTargets)
        {
            var response = await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url, event_types = new[] { "*" } });
            await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "validation", "url");
        }
        Assert.Equal(0, await s.CountRowsAsync(Tables.WebhookSubscriptions));
    }

    [SkippableFact]
    public async Task Bad_subscription_input_is_a_4xx_problem_and_stores_nothing()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await ProblemAssert.AssertProblemAsync(await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { url = "https://example.com/h", event_types = new[] { "trade.exploded" } }),
            HttpStatusCode.UnprocessableEntity, "validation", "event_types");
        await ProblemAssert.AssertProblemAsync(await s.Api.PostAsync("/api/webhooks/subscriptions", new StringContent("{\"url\":", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "malformed-body");
        await ProblemAssert.AssertProblemAsync(await s.Api.PostAsync("/api/webhooks/subscriptions", new StringContent("{\"url\":\"https://example.com\",\"secret\":\"mine\"}", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "malformed-body");
        await ProblemAssert.AssertProblemAsync(await s.Api.PostAsJsonAsync("/api/webhooks/subscriptions", new { event_types = new[] { "*" } }),
            HttpStatusCode.BadRequest, "malformed-body");
        Assert.Equal(0, await s.CountRowsAsync(Tables.WebhookSubscriptions));
        await ProblemAssert.AssertProblemAsync(await s.Api.GetAsync("/api/webhooks/subscriptions/whsub_nope"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.AssertProblemAsync(await s.Api.DeleteAsync("/api/webhooks/subscriptions/whsub_nope"), HttpStatusCode.NotFound, "not-found");
    }

    private static async Task<List<JsonElement>> WaitForAttemptsAsync(TestSystem s, string subscriptionId, Func<List<JsonElement>, bool> done, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        List<JsonElement> attempts;
        do
        {
            attempts = await AttemptsAsync(s, subscriptionId);
            if (done(attempts))
                return attempts;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"Attempts did not settle: {string.Join(", ", attempts)}");
        return attempts;
    }
}

/// <summary>The delivery guard on its own: no host needed.</summary>
public sealed class TargetGuardTests
{
    [Fact]
    public async Task The_guard_refuses_to_dial_a_private_address_at_delivery_time()
    {
        var guard = new TargetGuard(Microsoft.Extensions.Options.Options.Create(new WebhookOptions { AllowPrivateTargets = false }), isDevelopment: false);
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync });
        // "localhost" passes no URL check by name alone; the address it resolves to is what is refused.
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("http://localhost:9/"));
        Assert.Contains("Refused to connect", error.Message + error.InnerException?.Message);
        Assert.True(TargetGuard.IsForbidden(IPAddress.Parse("169.254.169.254")));
        Assert.True(TargetGuard.IsForbidden(IPAddress.Parse("::ffff:10.0.0.1")));
        Assert.True(TargetGuard.IsForbidden(IPAddress.Parse("fd00::1")));
        Assert.False(TargetGuard.IsForbidden(IPAddress.Parse("93.184.216.34")));
        Assert.False(TargetGuard.IsForbidden(IPAddress.Parse("2606:2800:220:1::1")));
    }
}
