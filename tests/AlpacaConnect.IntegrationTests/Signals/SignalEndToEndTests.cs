using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests.Signals;

public sealed class SignalUsersFixture<THost> : SystemFixture<THost> where THost : IHostChoice
{
    public static readonly string[] Users = ["sig-qty", "sig-usd", "sig-pct", "sig-off"];

    protected override async Task PrepareAsync(TestSystem system)
    {
        foreach (var user in Users)
            await system.ConnectAsync(user);
    }
}

public sealed class SignalEndToEndTestsOnServer(SignalUsersFixture<OnServer> fixture) : SignalEndToEndTests<OnServer>(fixture);

public sealed class SignalEndToEndTestsOnFunctions(SignalUsersFixture<OnFunctions> fixture) : SignalEndToEndTests<OnFunctions>(fixture);

/// <summary>
/// Alerts end to end on both hosts: POST /api/signals, the recorded signal, its fan-out message on
/// the signal-fanouts queue, the worker (Functions queue trigger / Server queue runner), the trades
/// at the Sandbox over HTTP, the outcomes in the signal log, the events to a webhook receiver.
/// </summary>
public abstract class SignalEndToEndTests<THost>(SignalUsersFixture<THost> fixture) : IClassFixture<SignalUsersFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;
    private static readonly string[] Done = ["completed", "refused", "failed"];

    private async Task<List<JsonElement>> OrdersAsync(string user, string symbol) =>
        (await S.SandboxOrdersAsync(user)).Where(o => o.GetProperty("symbol").GetString() == symbol).ToList();

    private async Task<CreatedHook> HookWithFollowersAsync(object? rules = null)
    {
        var hook = await S.CreateHookAsync(rules);
        await S.SubscribeAsync(hook.Id, "sig-qty", "fixed_quantity", 2);
        await S.SubscribeAsync(hook.Id, "sig-usd", "dollar_amount", 1000);
        await S.SubscribeAsync(hook.Id, "sig-pct", "percent_of_equity", 1);
        await S.SubscribeAsync(hook.Id, "sig-off", "fixed_quantity", 1, enabled: false);
        return hook;
    }

    [SkippableTheory]
    [InlineData("application/json", "NVDA")]
    [InlineData("text/plain", "META")]
    public async Task A_tradingview_alert_and_its_overlapping_resends_become_one_trade_per_enabled_subscriber(string contentType, string symbol)
    {
        await S.SetPriceAsync(symbol, "100.00");
        var hook = await HookWithFollowersAsync();
        var body = SignalClient.TradingViewAlert(ticker: symbol, contracts: "5", close: "100.00");
        // TradingView's resends of one alert, overlapping.
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => S.AlertAsync(hook, body, contentType)));
        var accepted = await Task.WhenAll(answers.Select(SignalClient.AcceptedAsync));
        var signalId = Assert.Single(accepted.Select(a => a.SignalId).Distinct());

        var signal = await S.WaitForSignalAsync(signalId, Done);
        Assert.Equal("completed", signal.GetProperty("signal").GetProperty("status").GetString());
        var outcomes = signal.GetProperty("outcomes").EnumerateArray().ToDictionary(o => o.GetProperty("user_id").GetString()!);
        Assert.Equal(["sig-pct", "sig-qty", "sig-usd"], outcomes.Keys.Order());
        Assert.All(outcomes.Values, o => Assert.Equal("placed", o.GetProperty("status").GetString()));
        Assert.Equal(3, signal.GetProperty("signal").GetProperty("placed").GetInt32());

        var qtyOrder = Assert.Single(await OrdersAsync("sig-qty", symbol));
        Assert.Equal("2", qtyOrder.GetProperty("qty").GetString());
        Assert.Equal("buy", qtyOrder.GetProperty("side").GetString());
        var usdOrder = Assert.Single(await OrdersAsync("sig-usd", symbol));
        Assert.Equal("10", usdOrder.GetProperty("qty").GetString()); // $1000 at the signal's 100.00, whole shares
        Assert.Single(await OrdersAsync("sig-pct", symbol));
        Assert.Empty(await OrdersAsync("sig-off", symbol));

        // The log shows each trade with its current status, and the trade knows where it came from.
        var tradeId = Assert.Single(outcomes["sig-qty"].GetProperty("trades").EnumerateArray()).GetProperty("id").GetString()!;
        var trade = await S.WaitForTradeAsync(tradeId, ["filled"], runSync: true);
        Assert.Equal(qtyOrder.GetProperty("id").GetString(), trade.GetProperty("alpaca_order_id").GetString());
        var again = await S.GetSignalAsync(signalId);
        var qtyTrade = again.GetProperty("outcomes").EnumerateArray().Single(o => o.GetProperty("user_id").GetString() == "sig-qty").GetProperty("trades")[0];
        Assert.Equal("filled", qtyTrade.GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task A_redelivered_fan_out_message_and_a_rerun_after_a_crash_place_no_second_order()
    {
        await S.SetPriceAsync("GOOGL", "30.00");
        var hook = await HookWithFollowersAsync();
        var accepted = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(ticker: "GOOGL", close: "30.00", id: "crash-1")));
        var first = await S.WaitForSignalAsync(accepted.SignalId, Done);
        Assert.Equal(3, first.GetProperty("signal").GetProperty("placed").GetInt32());

        // The queue hands the message out again, and (as if the worker died before marking it done) the signal is still queued.
        Assert.True(SignalIds.TryParse(accepted.SignalId, out var hookId, out var key));
        await S.Table(Tables.Signals).UpdateEntityAsync(new TableEntity(hookId, SignalIds.SignalRowPrefix + key) { ["Status"] = SignalStatus.Queued, ["CompletedAt"] = null },
            Azure.ETag.All, TableUpdateMode.Merge);
        var queue = S.Services.GetRequiredService<SignalFanOutQueue>();
        await queue.EnqueueAsync(SignalFanOutMessage.For(accepted.SignalId), default);
        await queue.EnqueueAsync(SignalFanOutMessage.For(accepted.SignalId), default);

        var rerun = await S.WaitForSignalAsync(accepted.SignalId, Done);
        Assert.Equal("completed", rerun.GetProperty("signal").GetProperty("status").GetString());
        await Task.Delay(1500); // the second copy too
        foreach (var user in new[] { "sig-qty", "sig-usd", "sig-pct" })
            Assert.Single(await OrdersAsync(user, "GOOGL"));
        Assert.Equal(
            first.GetProperty("outcomes").EnumerateArray().Select(o => o.GetProperty("trades")[0].GetProperty("id").GetString()).Order(),
            (await S.GetSignalAsync(accepted.SignalId)).GetProperty("outcomes").EnumerateArray().Select(o => o.GetProperty("trades")[0].GetProperty("id").GetString()).Order());
    }

    /// <summary>The fan-out queue is gone while the alert is acked: the signal is recorded, its message never reaches the queue (as if the process died after the record).</summary>
    private async Task<string> AlertWithNoFanOutMessageAsync(CreatedHook hook, string body)
    {
        var queue = S.Services.GetRequiredService<Queues>().Get(Queues.SignalFanOuts);
        await queue.DeleteIfExistsAsync();
        try
        {
            return (await SignalClient.AcceptedAsync(await S.AlertAsync(hook, body))).SignalId;
        }
        finally
        {
            await queue.CreateIfNotExistsAsync();
        }
    }

    /// <summary>The signals with a pending marker (recorded queued, fan-out not completed) in the hook's partition.</summary>
    private async Task<List<string>> PendingAsync(CreatedHook hook)
    {
        var rows = new List<string>();
        await foreach (var row in S.Table(Tables.Signals).QueryAsync<TableEntity>(
            TableKeys.Between(hook.Id, SignalIds.PendingRowPrefix, SignalIds.PendingRowPrefix + "\u007f"), select: ["RowKey"]))
            rows.Add(SignalIds.Compose(hook.Id, row.RowKey[SignalIds.PendingRowPrefix.Length..]));
        return rows;
    }

    [SkippableFact]
    public async Task A_signal_whose_fan_out_message_never_reached_the_queue_is_fanned_out_by_the_recovery_timer_once_per_subscriber()
    {
        await S.SetPriceAsync("AMZN", "50.00");
        var hook = await HookWithFollowersAsync();
        var signalId = await AlertWithNoFanOutMessageAsync(hook, SignalClient.TradingViewAlert(ticker: "AMZN", close: "50.00", id: "lost-message"));

        // Recorded with its pending marker, and nothing fans it out: no message exists.
        Assert.Contains(signalId, await PendingAsync(hook));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // past Signals:RecoverAfter (2 s in tests)
        Assert.Equal("queued", (await S.GetSignalAsync(signalId)).GetProperty("signal").GetProperty("status").GetString());
        foreach (var user in new[] { "sig-qty", "sig-usd", "sig-pct" })
            Assert.Empty(await OrdersAsync(user, "AMZN"));

        await S.RecoverSignalsAsync();
        var signal = await S.WaitForSignalAsync(signalId, Done);
        Assert.Equal("completed", signal.GetProperty("signal").GetProperty("status").GetString());
        Assert.Equal(3, signal.GetProperty("signal").GetProperty("placed").GetInt32());
        foreach (var user in new[] { "sig-qty", "sig-usd", "sig-pct" })
            Assert.Single(await OrdersAsync(user, "AMZN"));

        // Done: the marker goes (with the completion), and further runs (and a late copy of the message) change nothing.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await PendingAsync(hook)).Contains(signalId) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.DoesNotContain(signalId, await PendingAsync(hook));
        await S.RecoverSignalsAsync();
        await S.Services.GetRequiredService<SignalFanOutQueue>().EnqueueAsync(SignalFanOutMessage.For(signalId), default);
        await Task.Delay(1500);
        foreach (var user in new[] { "sig-qty", "sig-usd", "sig-pct" })
            Assert.Single(await OrdersAsync(user, "AMZN"));
    }

    [SkippableFact]
    public async Task A_signal_whose_re_queued_fan_outs_keep_getting_lost_ends_failed_instead_of_queued_for_ever()
    {
        var hook = await HookWithFollowersAsync();
        var signalId = await AlertWithNoFanOutMessageAsync(hook, SignalClient.TradingViewAlert(ticker: "TSLA", close: "50.00", id: "lost-thrice"));
        // As if the recovery timer had queued it again three times and each message was lost.
        Assert.True(SignalIds.TryParse(signalId, out var hookId, out var key));
        await S.Table(Tables.Signals).UpdateEntityAsync(new TableEntity(hookId, SignalIds.SignalRowPrefix + key)
        {
            [nameof(SignalEntity.Requeues)] = SignalRecovery.MaxRequeues,
            [nameof(SignalEntity.RequeuedAt)] = DateTimeOffset.UtcNow.AddMinutes(-1),
        }, Azure.ETag.All, TableUpdateMode.Merge);

        await S.RecoverSignalsAsync();
        var signal = (await S.WaitForSignalAsync(signalId, Done)).GetProperty("signal");
        Assert.Equal("failed", signal.GetProperty("status").GetString());
        Assert.StartsWith("fan_out_lost", signal.GetProperty("reason").GetString());
        Assert.DoesNotContain(signalId, await PendingAsync(hook));
    }

    [SkippableFact]
    public async Task Signal_received_and_each_refusal_reach_webhook_subscribers_and_refusals_are_recorded_per_subscriber()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscribe = await S.Api.PostAsJsonAsync("/api/webhooks/subscriptions",
            new { url = receiver.Url("/signals"), event_types = new[] { EventTypes.SignalReceived, EventTypes.SignalRefused } });
        Assert.Equal(HttpStatusCode.Created, subscribe.StatusCode);
        var hook = await HookWithFollowersAsync(new { allowed_symbols = new[] { "SPY" } });

        var accepted = await SignalClient.AcceptedAsync(await S.AlertAsync(hook, SignalClient.TradingViewAlert(ticker: "AAPL", id: "not-allowed")));
        var signal = await S.WaitForSignalAsync(accepted.SignalId, Done);
        Assert.Equal(3, signal.GetProperty("signal").GetProperty("refused").GetInt32());
        Assert.All(signal.GetProperty("outcomes").EnumerateArray(), o =>
        {
            Assert.Equal("refused", o.GetProperty("status").GetString());
            Assert.StartsWith("symbol_not_allowed", o.GetProperty("reason").GetString());
            Assert.Equal(0, o.GetProperty("trades").GetArrayLength());
        });

        var got = await receiver.WaitForAsync("/signals", r => r.Count(h => h.Body.Contains(accepted.SignalId, StringComparison.Ordinal)) >= 4);
        var mine = got.Where(h => h.Body.Contains(accepted.SignalId, StringComparison.Ordinal)).Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
        Assert.Single(mine, e => e.GetProperty("type").GetString() == EventTypes.SignalReceived);
        Assert.Equal(["sig-pct", "sig-qty", "sig-usd"], mine.Where(e => e.GetProperty("type").GetString() == EventTypes.SignalRefused)
            .Select(e => e.GetProperty("data").GetProperty("user_id").GetString()).Order());
        foreach (var user in new[] { "sig-qty", "sig-usd", "sig-pct" })
            Assert.Empty(await OrdersAsync(user, "AAPL"));
    }

    [SkippableFact]
    public async Task Five_hundred_generated_alert_bodies_are_each_a_4xx_or_a_202_never_a_5xx_and_only_the_202s_are_recorded()
    {
        var hook = await S.CreateHookAsync(); // no followers: each recorded signal is queued and completes with no trade
        var random = new Random(12);
        var recorded = new HashSet<string>();
        var statuses = new Dictionary<int, int>();
        foreach (var batch in AlertFuzz.Bodies(random, 500).Chunk(10))
        {
            var answers = await Task.WhenAll(batch.Select(b => S.AlertAsync(hook, b.Body, b.ContentType)));
            for (var i = 0; i < answers.Length; i++)
            {
                var status = (int)answers[i].StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                var text = await answers[i].Content.ReadAsStringAsync();
                Assert.True(status is 202 or (>= 400 and < 500), $"{status} for {batch[i].Body}: {text}");
                if (status == 202)
                {
                    using var doc = JsonDocument.Parse(text);
                    if (!doc.RootElement.GetProperty("duplicate").GetBoolean())
                        recorded.Add(doc.RootElement.GetProperty("signal_id").GetString()!);
                }
                else
                    Assert.Equal("application/problem+json", answers[i].Content.Headers.ContentType?.MediaType);
            }
        }
        Assert.True(statuses.ContainsKey(400) && statuses.ContainsKey(422) && statuses.GetValueOrDefault(202) >= 50, string.Join(", ", statuses.Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.Equal(recorded.Count, await S.RecordedSignalsAsync(hook.Id));
        // Every recorded one was queued (and fanned out to nobody); nothing else was.
        foreach (var id in recorded.Take(20))
            Assert.Equal("completed", (await S.WaitForSignalAsync(id, Done)).GetProperty("signal").GetProperty("status").GetString());
    }
}
