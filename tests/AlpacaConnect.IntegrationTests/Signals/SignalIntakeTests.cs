using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests.Signals;

public sealed class SignalIntakeTestsOnServer(SystemFixture<OnServer> fixture) : SignalIntakeTests<OnServer>(fixture);

public sealed class SignalIntakeTestsOnFunctions(SystemFixture<OnFunctions> fixture) : SignalIntakeTests<OnFunctions>(fixture);

/// <summary>Hooks over HTTP and the alert endpoint up to the recorded signal and its fan-out message, on both hosts (Azurite, real HTTP).</summary>
public abstract class SignalIntakeTests<THost>(SystemFixture<THost> fixture) : IClassFixture<SystemFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;

    [SkippableFact]
    public async Task A_hook_is_created_with_its_secret_once_read_without_it_patched_rotated_and_deleted()
    {
        var hook = await S.CreateHookAsync(new { allowed_symbols = new[] { "aapl", "MSFT" }, max_qty = 10, max_signal_age_seconds = 60 }, sources: ["tradingview", "10.0.0.0/8"]);
        Assert.Equal(43, hook.Secret.Length);
        Assert.Equal(new Uri(S.ServerUrl, $"/api/signals/{hook.Id}/{hook.Secret}").AbsoluteUri, hook.Url);

        var read = await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}");
        Assert.DoesNotContain(hook.Secret, read, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(read))
        {
            var rules = doc.RootElement.GetProperty("rules");
            Assert.Equal(["AAPL", "MSFT"], rules.GetProperty("allowed_symbols").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(10, rules.GetProperty("max_qty").GetDecimal());
            Assert.Equal("regular", rules.GetProperty("window").GetProperty("kind").GetString());
            Assert.Equal(["tradingview", "10.0.0.0/8"], doc.RootElement.GetProperty("allowed_sources").EnumerateArray().Select(e => e.GetString()));
        }
        Assert.Contains(hook.Id, await S.Api.GetStringAsync("/api/signal-hooks"), StringComparison.Ordinal);

        // A merge patch: only what it names changes; null removes.
        var patched = await S.Api.PatchAsync($"/api/signal-hooks/{hook.Id}", JsonContent.Create(new { rules = new { paused = true, max_qty = (int?)null }, allowed_sources = Array.Empty<string>() }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        using (var doc = JsonDocument.Parse(await patched.Content.ReadAsStringAsync()))
        {
            var rules = doc.RootElement.GetProperty("rules");
            Assert.True(rules.GetProperty("paused").GetBoolean());
            Assert.False(rules.TryGetProperty("max_qty", out _));
            Assert.Equal(60, rules.GetProperty("max_signal_age_seconds").GetInt32());
            Assert.Equal(0, doc.RootElement.GetProperty("allowed_sources").GetArrayLength());
        }

        // Rotation: the new secret works, and the old one during the overlap.
        var rotated = await S.Api.PostAsync($"/api/signal-hooks/{hook.Id}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        using (var doc = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()))
        {
            var fresh = doc.RootElement.GetProperty("secret").GetString()!;
            Assert.NotEqual(hook.Secret, fresh);
            Assert.NotNull(doc.RootElement.GetProperty("hook").GetProperty("previous_secret_expires_at").GetString());
            Assert.Equal(HttpStatusCode.Accepted, (await S.AlertAsync(doc.RootElement.GetProperty("url").GetString()!, SignalClient.TradingViewAlert(id: "rot-new"))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "rot-old"))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await S.Api.DeleteAsync($"/api/signal-hooks/{hook.Id}")).StatusCode);
        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync($"/api/signal-hooks/{hook.Id}"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.AssertProblemAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "after-delete")), HttpStatusCode.NotFound, "not-found");
    }

    [SkippableFact]
    public async Task Bad_rules_are_a_422_listing_every_problem_and_store_nothing()
    {
        var before = await S.Api.GetStringAsync("/api/signal-hooks");
        var response = await S.Api.PostAsJsonAsync("/api/signal-hooks", new
        {
            name = "",
            rules = new
            {
                allowed_symbols = new[] { "AAPL", "no spaces" }, max_qty = -1, max_signals_per_minute = 0, on_opposite = "panic",
                window = new { kind = "custom", time_zone = "Mars/Olympus" },
            },
            allowed_sources = new[] { "tradingview", "not-an-ip" },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using (var doc = JsonDocument.Parse(body))
        {
            var fields = doc.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
            Assert.Equal(["allowed_sources", "name", "rules.allowed_symbols", "rules.max_qty", "rules.max_signals_per_minute", "rules.on_opposite",
                "rules.window.end", "rules.window.start", "rules.window.time_zone"], fields);
        }
        Assert.Equal(before, await S.Api.GetStringAsync("/api/signal-hooks"));

        await ProblemAssert.AssertProblemAsync(await S.Api.PostAsJsonAsync("/api/signal-hooks", new { name = "x", rules = new { colour = "red" } }), HttpStatusCode.BadRequest, "malformed-body");
        await ProblemAssert.AssertProblemAsync(await S.Api.PostAsync("/api/signal-hooks", new StringContent("{\"name\":\"x\"}", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");

        // A patch that would make the rules invalid changes nothing.
        var hook = await S.CreateHookAsync(new { max_qty = 5 });
        var original = await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}");
        await ProblemAssert.AssertProblemAsync(await S.Api.PatchAsync($"/api/signal-hooks/{hook.Id}", JsonContent.Create(new { rules = new { max_qty = 0, max_signal_age_seconds = -5 } })),
            HttpStatusCode.UnprocessableEntity, "validation", "rules.max_signal_age_seconds");
        Assert.Equal(original, await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}"));
        await ProblemAssert.AssertUnauthorizedAsync(S, await S.Browser.GetAsync(new Uri(S.ServerUrl, "/api/signal-hooks")));
    }

    [SkippableFact]
    public async Task Subscribers_are_put_listed_replaced_and_removed_and_bad_sizing_is_refused()
    {
        var hook = await S.CreateHookAsync();
        var first = await S.Api.PutAsJsonAsync($"/api/signal-hooks/{hook.Id}/subscribers/ann/paper", new { sizing = new { kind = "fixed_quantity", value = 2 } });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var again = await S.Api.PutAsJsonAsync($"/api/signal-hooks/{hook.Id}/subscribers/ann/paper", new { sizing = new { kind = "dollar_amount", value = 250 }, enabled = false });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await S.SubscribeAsync(hook.Id, "bob", "percent_of_equity", 5);

        using (var doc = JsonDocument.Parse(await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}/subscribers")))
        {
            var list = doc.RootElement.GetProperty("subscribers").EnumerateArray().ToDictionary(e => e.GetProperty("user_id").GetString()!);
            Assert.Equal(["ann", "bob"], list.Keys.Order());
            Assert.Equal("dollar_amount", list["ann"].GetProperty("sizing").GetProperty("kind").GetString());
            Assert.False(list["ann"].GetProperty("enabled").GetBoolean());
            Assert.Equal(5, list["bob"].GetProperty("sizing").GetProperty("value").GetDecimal());
        }

        var bad = await S.Api.PutAsJsonAsync($"/api/signal-hooks/{hook.Id}/subscribers/b%20d/demo", new { sizing = new { kind = "percent_of_equity", value = 150 } });
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("\"user_id\"", problem, StringComparison.Ordinal);
        Assert.Contains("\"env\"", problem, StringComparison.Ordinal);
        Assert.Contains("\"sizing.value\"", problem, StringComparison.Ordinal);
        await ProblemAssert.AssertProblemAsync(await S.Api.PutAsJsonAsync($"/api/signal-hooks/hk_{new string('0', 32)}/subscribers/ann/paper", new { sizing = new { kind = "fixed_quantity", value = 1 } }),
            HttpStatusCode.NotFound, "not-found");

        Assert.Equal(HttpStatusCode.NoContent, (await S.Api.DeleteAsync($"/api/signal-hooks/{hook.Id}/subscribers/ann/paper")).StatusCode);
        await ProblemAssert.AssertProblemAsync(await S.Api.DeleteAsync($"/api/signal-hooks/{hook.Id}/subscribers/ann/paper"), HttpStatusCode.NotFound, "not-found");
        using (var doc = JsonDocument.Parse(await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}/subscribers")))
            Assert.Equal(["bob"], doc.RootElement.GetProperty("subscribers").EnumerateArray().Select(e => e.GetProperty("user_id").GetString()));
    }

    [SkippableFact]
    public async Task A_wrong_secret_an_unknown_hook_and_a_source_not_allowed_are_the_same_404_and_record_nothing()
    {
        var hook = await S.CreateHookAsync();
        var fenced = await S.CreateHookAsync(sources: ["tradingview"]);
        var alert = SignalClient.TradingViewAlert(id: "nope");
        var wrongSecret = await S.AlertAsync(hook.Url[..hook.Url.LastIndexOf('/')] + "/" + new string('A', 43), alert);
        var unknownHook = await S.AlertAsync(new Uri(S.ServerUrl, $"/api/signals/hk_{new string('1', 32)}/{hook.Secret}").AbsoluteUri, alert);
        var notFromTradingView = await S.AlertAsync(fenced, alert);
        var wrongPassphrase = await S.Browser.PostAsync(new Uri(S.ServerUrl, $"/api/signals/{hook.Id}"), new StringContent("""{"ticker":"AAPL","action":"buy","passphrase":"guess"}"""));

        var bodies = new List<string>();
        foreach (var response in new[] { wrongSecret, unknownHook, notFromTradingView, wrongPassphrase })
        {
            var body = await response.Content.ReadAsStringAsync();
            await ProblemAssert.AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
            using var doc = JsonDocument.Parse(body);
            bodies.Add(doc.RootElement.GetProperty("detail").GetString()!);
        }
        Assert.Single(bodies.Distinct());
        Assert.Equal(0, await S.SignalRowsAsync(hook.Id));
        Assert.Equal(0, await S.SignalRowsAsync(fenced.Id));
    }

    [SkippableFact]
    public async Task A_tradingview_alert_as_json_or_text_plain_or_with_a_passphrase_is_recorded_and_listed_newest_first()
    {
        var hook = await S.CreateHookAsync();
        var json = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "tv-json"), "application/json"));
        var text = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "tv-text", ticker: "NASDAQ:MSFT", action: "SELL")));
        var withPassphrase = await S.Browser.PostAsync(new Uri(S.ServerUrl, $"/api/signals/{hook.Id}"),
            new StringContent($$$"""{"ticker":"spy","action":"exit","passphrase":"{{{hook.Secret}}}","takeProfit":{"percent":"2"},"stopLoss":{"amount":1.5}}"""));
        var pass = await SignalClient.AcceptedAsync(withPassphrase);
        Assert.False(json.Duplicate);
        Assert.Equal("queued", json.Status);

        var detail = await S.GetSignalAsync(text.SignalId);
        var alert = detail.GetProperty("signal").GetProperty("alert");
        Assert.Equal("MSFT", alert.GetProperty("ticker").GetString());
        Assert.Equal("sell", alert.GetProperty("action").GetString());
        Assert.Equal(3, alert.GetProperty("quantity").GetDecimal());
        Assert.Equal(187.25m, alert.GetProperty("signal_price").GetDecimal());
        Assert.Contains("\"exchange\":\"NASDAQ\"", detail.GetProperty("raw_body").GetString(), StringComparison.Ordinal);

        var passDetail = await S.GetSignalAsync(pass.SignalId);
        Assert.Equal(2, passDetail.GetProperty("signal").GetProperty("alert").GetProperty("take_profit").GetProperty("percent").GetDecimal());
        Assert.DoesNotContain(hook.Secret, passDetail.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("\"passphrase\":\"[redacted]\"", passDetail.GetProperty("raw_body").GetString(), StringComparison.Ordinal);

        // Newest first, paged.
        using var first = JsonDocument.Parse(await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}/signals?limit=2"));
        Assert.Equal([pass.SignalId, text.SignalId], first.RootElement.GetProperty("signals").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        var next = first.RootElement.GetProperty("next").GetString();
        using var second = JsonDocument.Parse(await S.Api.GetStringAsync($"/api/signal-hooks/{hook.Id}/signals?limit=2&after={next}"));
        Assert.Equal([json.SignalId], second.RootElement.GetProperty("signals").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.False(second.RootElement.TryGetProperty("next", out _));
        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync($"/api/signal-hooks/{hook.Id}/signals?limit=500"), HttpStatusCode.UnprocessableEntity, "validation", "limit");
        await ProblemAssert.AssertProblemAsync(await S.Api.GetAsync($"/api/signals/{hook.Id}~nonsense"), HttpStatusCode.NotFound, "not-found");
        Assert.DoesNotContain(S.Logs.Lines, l => l.Contains(hook.Secret, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Copies_of_an_alert_five_seconds_apart_and_overlapping_copies_are_one_signal()
    {
        var hook = await S.CreateHookAsync();
        var body = SignalClient.TradingViewAlert(ticker: "QQQ"); // no id: dedupe by body, as TradingView's resends look
        var first = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, body));
        Assert.False(first.Duplicate);
        for (var copy = 0; copy < 3; copy++)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            var again = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, body));
            Assert.Equal((first.SignalId, true), (again.SignalId, again.Duplicate));
        }

        var overlapping = SignalClient.TradingViewAlert(ticker: "IWM");
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => S.AlertAsync(hook, overlapping)));
        var accepted = await Task.WhenAll(answers.Select(SignalClient.AcceptedAsync));
        Assert.Single(accepted.Select(a => a.SignalId).Distinct());
        Assert.Single(accepted, a => !a.Duplicate);

        // The same id is a duplicate whatever else the body says.
        var byId = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "order-7", contracts: "1")));
        var sameId = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "order-7", contracts: "9")));
        Assert.Equal((byId.SignalId, true), (sameId.SignalId, sameId.Duplicate));

        Assert.Equal(3, await S.RecordedSignalsAsync(hook.Id));
    }

    [SkippableFact]
    public async Task The_kill_switch_a_stale_alert_and_the_per_minute_limit_record_the_signal_as_refused_with_its_reason()
    {
        var hook = await S.CreateHookAsync(new { max_signal_age_seconds = 60, max_signals_per_minute = 2 });
        var stale = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "old", time: DateTimeOffset.UtcNow.AddHours(-1))));
        Assert.Equal("refused", stale.Status);
        Assert.StartsWith("stale_signal:", (await S.GetSignalAsync(stale.SignalId)).GetProperty("signal").GetProperty("reason").GetString());

        Assert.Equal("queued", (await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "r1")))).Status);
        Assert.Equal("queued", (await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "r2")))).Status);
        var third = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "r3")));
        Assert.Equal("refused", third.Status);
        Assert.StartsWith("rate_limited:", (await S.GetSignalAsync(third.SignalId)).GetProperty("signal").GetProperty("reason").GetString());

        Assert.Equal(HttpStatusCode.OK, (await S.Api.PatchAsync($"/api/signal-hooks/{hook.Id}", JsonContent.Create(new { rules = new { paused = true, max_signals_per_minute = (int?)null } }))).StatusCode);
        var paused = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(id: "p1")));
        Assert.Equal("refused", paused.Status);
        var signal = (await S.GetSignalAsync(paused.SignalId)).GetProperty("signal");
        Assert.StartsWith("paused:", signal.GetProperty("reason").GetString());
        Assert.Equal("refused", signal.GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task Bad_alert_bodies_are_a_4xx_listing_each_problem_and_record_nothing()
    {
        var hook = await S.CreateHookAsync();
        async Task Expect(string body, HttpStatusCode status, string kind, params string[] fields)
        {
            var response = await S.AlertAsync(hook, body);
            var text = await response.Content.ReadAsStringAsync();
            await ProblemAssert.AssertProblemAsync(response, status, kind);
            foreach (var field in fields)
                Assert.Contains($"\"{field}\"", text, StringComparison.Ordinal);
        }
        await Expect("", HttpStatusCode.BadRequest, "malformed-body");
        await Expect("buy AAPL now", HttpStatusCode.BadRequest, "malformed-body");
        await Expect("[1,2]", HttpStatusCode.BadRequest, "malformed-body");
        await Expect("""{"ticker":"AAPL","ticker":"MSFT","action":"buy"}""", HttpStatusCode.BadRequest, "malformed-body");
        await Expect("""{"action":"hold","quantity":"{{strategy.order.contracts}}","quantityType":"lots","takeProfit":{"percent":1,"amount":2},"time":"yesterday"}""",
            HttpStatusCode.UnprocessableEntity, "validation", "ticker", "action", "quantity", "quantityType", "takeProfit", "time");
        await Expect("""{"ticker":"AAPL","action":"buy","orderType":"limit","stopPrice":-1,"extendedHours":"maybe"}""",
            HttpStatusCode.UnprocessableEntity, "validation", "limitPrice", "stopPrice", "extendedHours");
        await Expect("{\"ticker\":\"AAPL\",\"action\":\"buy\",\"note\":\"" + new string('x', 17_000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Equal(0, await S.SignalRowsAsync(hook.Id));
    }
}
