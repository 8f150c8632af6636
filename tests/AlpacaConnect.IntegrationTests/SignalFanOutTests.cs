using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// The signal fan-out on Azurite and the Sandbox over HTTP, with users connected through the real
/// consent flow: <see cref="SignalFanOut"/> is called through the Server's own DI, in this process
/// (the end-to-end alert tests on both hosts belong to the intake: POST /api/signals, its queue and
/// worker). Server-only for that reason: the Functions host runs in another process.
/// </summary>
public sealed class SignalFanOutTests(SystemFixture<OnServer> fixture) : IClassFixture<SystemFixture<OnServer>>
{
    private TestSystem S => fixture.System;

    private static int _users;

    private async Task<string> UserAsync(string name)
    {
        var user = $"{name}{Interlocked.Increment(ref _users)}-{Guid.NewGuid():N}"[..24];
        await S.ConnectAsync(user);
        return user;
    }

    private static SignalHook Hook(SignalRules? rules = null) => new()
    {
        Id = "hk" + Guid.NewGuid().ToString("N")[..12],
        Name = "test strategy",
        Rules = rules ?? new SignalRules(),
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static RecordedSignal Signal(SignalHook hook, SignalAlert alert) => new()
    {
        Id = "sg" + Guid.NewGuid().ToString("N")[..12],
        HookId = hook.Id,
        Alert = alert,
        ReceivedAt = DateTimeOffset.UtcNow,
    };

    private static SignalSubscriber Follower(SignalHook hook, string user, string kind = SubscriberSizing.FixedQuantity, decimal value = 1, bool fractional = false) => new()
    {
        HookId = hook.Id,
        UserId = user,
        Env = "paper",
        Sizing = new SubscriberSizing { Kind = kind, Value = value, AllowFractional = fractional },
    };

    private static SignalAlert Buy(string ticker = "AAPL") => new() { Ticker = ticker, Action = "buy", SignalPrice = 200m };

    private Task<IReadOnlyList<SubscriberOutcome>> FanOutAsync(SignalHook hook, RecordedSignal signal, params SignalSubscriber[] subscribers) =>
        S.Services.GetRequiredService<SignalFanOut>().RunAsync(hook, signal, subscribers, CancellationToken.None);

    private async Task<SubscriberOutcome> OneAsync(SignalHook hook, SignalAlert alert, SignalSubscriber subscriber) =>
        Assert.Single(await FanOutAsync(hook, Signal(hook, alert), subscriber));

    private static void AssertRefused(SubscriberOutcome outcome, string code)
    {
        Assert.True(outcome.Status == SubscriberOutcome.Refused && SignalReasons.CodeOf(outcome.Reason) == code, $"expected refused {code}, got {outcome.Status}: {outcome.Reason}");
        Assert.Contains(": ", outcome.Reason);
        Assert.Empty(outcome.TradeIds);
    }

    private static string Qty(JsonElement order) => order.GetProperty("qty").GetString()!;

    [SkippableFact]
    public async Task Three_subscribers_sized_by_qty_notional_and_percent_of_equity_get_three_trades_of_their_sizes()
    {
        await S.SetPriceAsync("AAPL", "200");
        var (fixedQty, notional, percent) = (await UserAsync("qty"), await UserAsync("usd"), await UserAsync("pct"));
        var hook = Hook();
        var outcomes = await FanOutAsync(hook, Signal(hook, Buy()),
            Follower(hook, fixedQty, SubscriberSizing.FixedQuantity, 3),
            Follower(hook, notional, SubscriberSizing.FixedNotional, 1000),      // $1,000 at $200 = 5 shares
            Follower(hook, percent, SubscriberSizing.PercentOfEquity, 2));      // 2% of $100,000 = $2,000 = 10 shares

        Assert.All(outcomes, o => Assert.True(o.Status == SubscriberOutcome.Placed, o.Reason));
        Assert.Equal([fixedQty, notional, percent], outcomes.Select(o => o.UserId));
        foreach (var (user, qty) in new[] { (fixedQty, "3"), (notional, "5"), (percent, "10") })
        {
            var order = Assert.Single(await S.SandboxOrdersAsync(user));
            Assert.Equal((qty, "buy", "market", "filled"), (Qty(order), order.GetProperty("side").GetString(), order.GetProperty("type").GetString(), order.GetProperty("status").GetString()));
            var outcome = outcomes.Single(o => o.UserId == user);
            var trade = await S.GetTradeAsync(Assert.Single(outcome.TradeIds));
            Assert.Equal(order.GetProperty("client_order_id").GetString(), trade.GetProperty("client_order_id").GetString());
            Assert.Equal("signal:" + hook.Id, trade.GetProperty("origin").GetString());
            Assert.Equal("filled", trade.GetProperty("status").GetString());
        }
    }

    [SkippableFact]
    public async Task A_rerun_of_the_same_signal_places_no_second_order_and_answers_the_same_trades()
    {
        var user = await UserAsync("rerun");
        var hook = Hook();
        var signal = Signal(hook, Buy());
        var first = Assert.Single(await FanOutAsync(hook, signal, Follower(hook, user, value: 2)));
        var again = Assert.Single(await FanOutAsync(hook, signal, Follower(hook, user, value: 2)));

        Assert.Equal(SubscriberOutcome.Placed, again.Status);
        Assert.Equal(first.TradeIds, again.TradeIds);
        Assert.Single(await S.SandboxOrdersAsync(user));
    }

    [SkippableFact]
    public async Task A_rerun_after_a_crash_between_the_trades_insert_and_its_execution_resumes_it_with_one_order()
    {
        var user = await UserAsync("crash");
        var hook = Hook();
        var signal = Signal(hook, Buy());
        // What a run that died after the insert leaves: the entry trade recorded and accepted, nothing at Alpaca.
        var intake = S.Services.GetRequiredService<TradeIntake>();
        var key = SignalFanOut.IdempotencyKey(hook.Id, signal.Id, user, "paper", "entry");
        var stranded = intake.NewTrade(new TradeRequest(user, "paper", new TradeOrder { Symbol = "AAPL", Side = "buy", Type = "market", Qty = "4", TimeInForce = "day" }), key, SignalFanOut.Origin(hook.Id));
        stranded.NextAttemptAt = stranded.CreatedAt;
        Assert.IsType<TradeStore.Accepted>(await S.Services.GetRequiredService<TradeStore>().AcceptAsync(stranded, CancellationToken.None));
        Assert.Empty(await S.SandboxOrdersAsync(user));

        var outcome = Assert.Single(await FanOutAsync(hook, signal, Follower(hook, user, value: 4)));
        var again = Assert.Single(await FanOutAsync(hook, signal, Follower(hook, user, value: 4)));

        Assert.Equal([stranded.TradeId], outcome.TradeIds);
        Assert.Equal(outcome.TradeIds, again.TradeIds);
        var order = Assert.Single(await S.SandboxOrdersAsync(user));
        Assert.Equal("4", Qty(order));
        Assert.Equal("filled", (await S.GetTradeAsync(stranded.TradeId)).GetProperty("status").GetString());
    }

    [SkippableFact]
    public async Task Every_rule_refuses_with_its_reason_and_places_nothing()
    {
        await S.SetPriceAsync("AAPL", "200");
        var user = await UserAsync("rules");
        var now = TimeOnly.FromDateTime(DateTime.UtcNow);
        var closedWindow = new TradingWindow { Kind = TradingWindow.Custom, TimeZone = "UTC", Start = now.AddHours(2), End = now.AddHours(3), Days = Enum.GetValues<DayOfWeek>() };
        var cases = new (SignalRules Rules, SignalAlert Alert, SubscriberSizing? Sizing, string Code)[]
        {
            (new() { Paused = true }, Buy(), null, SignalReasons.HookPaused),
            (new() { AllowedSymbols = ["MSFT", "VTI"] }, Buy(), null, SignalReasons.SymbolNotAllowed),
            (new() { Window = closedWindow }, Buy(), null, SignalReasons.OutsideTradingWindow),
            (new() { MaxQty = 5 }, Buy(), new() { Kind = SubscriberSizing.FixedQuantity, Value = 6 }, SignalReasons.MaxQty),
            (new() { MaxNotional = 1000 }, Buy(), new() { Kind = SubscriberSizing.FixedQuantity, Value = 6 }, SignalReasons.MaxNotional),
            (new() { MaxPosition = 5 }, Buy(), new() { Kind = SubscriberSizing.FixedQuantity, Value = 6 }, SignalReasons.MaxPosition),
            (new() { MaxNotional = 1000 }, Buy() with { SignalPrice = null }, null, SignalReasons.PriceUnknown),
            (new(), Buy() with { Action = "sell" }, null, SignalReasons.NoPosition),
            (new(), Buy() with { Action = "add", Sentiment = "short" }, null, SignalReasons.ShortingNotAllowed),
            (new(), Buy(), new() { Kind = SubscriberSizing.FixedNotional, Value = 150 }, SignalReasons.SizeZero),
            (new(), Buy(), new() { Kind = SubscriberSizing.Multiplier, Value = 2 }, SignalReasons.QuantityMissing),
            (new(), Buy() with { Action = "hold" }, null, SignalReasons.UnsupportedAction),
        };
        foreach (var (rules, alert, sizing, code) in cases)
        {
            var hook = Hook(rules);
            var subscriber = Follower(hook, user) with { Sizing = sizing ?? new SubscriberSizing { Kind = SubscriberSizing.FixedQuantity, Value = 1 } };
            AssertRefused(await OneAsync(hook, alert, subscriber), code);
        }
        var unconnected = Hook();
        AssertRefused(await OneAsync(unconnected, Buy(), Follower(unconnected, "nobody-connected")), SignalReasons.ConnectionInactive);

        Assert.Empty(await S.SandboxOrdersAsync(user));
        Assert.Empty((await S.Services.GetRequiredService<TradeStore>().QueryUserAsync(user, CancellationToken.None).ToListAsync()));
    }

    [SkippableFact]
    public async Task Max_position_counts_what_the_account_already_holds()
    {
        var user = await UserAsync("maxpos");
        var hook = Hook(new SignalRules { MaxPosition = 5 });
        Assert.Equal(SubscriberOutcome.Placed, (await OneAsync(hook, Buy(), Follower(hook, user, value: 4))).Status);
        AssertRefused(await OneAsync(hook, Buy(), Follower(hook, user, value: 2)), SignalReasons.MaxPosition);
        Assert.Equal(SubscriberOutcome.Placed, (await OneAsync(hook, Buy(), Follower(hook, user, value: 1))).Status);
        Assert.Equal(2, (await S.SandboxOrdersAsync(user)).Count);
    }

    [SkippableFact]
    public async Task Exit_cancels_the_open_orders_in_the_symbol_then_closes_the_position_once()
    {
        var user = await UserAsync("exit");
        await S.WaitForTradeAsync(await S.TradeAsync(user, new { symbol = "AAPL", side = "buy", type = "market", qty = "10", time_in_force = "day" }), ["filled"]);
        var working = await S.TradeAsync(user, new { symbol = "AAPL", side = "sell", type = "limit", qty = "4", limit_price = "9999", time_in_force = "gtc" });
        var otherSymbol = await S.TradeAsync(user, new { symbol = "MSFT", side = "buy", type = "limit", qty = "1", limit_price = "1", time_in_force = "gtc" });
        var limitOrder = (await S.WaitForTradeAsync(working, ["submitted"])).GetProperty("alpaca_order_id").GetString();
        await S.WaitForTradeAsync(otherSymbol, ["submitted"]);

        var hook = Hook();
        var signal = Signal(hook, new SignalAlert { Ticker = "aapl", Action = "exit" });
        var outcome = Assert.Single(await FanOutAsync(hook, signal, Follower(hook, user)));
        var again = Assert.Single(await FanOutAsync(hook, signal, Follower(hook, user)));

        Assert.Equal(SubscriberOutcome.Placed, outcome.Status);
        Assert.Equal([limitOrder!], outcome.CanceledOrderIds);
        var orders = await S.SandboxOrdersAsync(user);
        Assert.Equal("canceled", orders.Single(o => o.GetProperty("id").GetString() == limitOrder).GetProperty("status").GetString());
        Assert.Equal("new", orders.Single(o => o.GetProperty("symbol").GetString() == "MSFT").GetProperty("status").GetString());
        var close = Assert.Single(orders, o => o.GetProperty("side").GetString() == "sell" && o.GetProperty("type").GetString() == "market");
        Assert.Equal(("10", "filled"), (Qty(close), close.GetProperty("status").GetString()));
        Assert.Equal(close.GetProperty("client_order_id").GetString(), (await S.GetTradeAsync(Assert.Single(outcome.TradeIds))).GetProperty("client_order_id").GetString());
        // The re-run finds the close it made, and closes nothing twice.
        Assert.Equal(outcome.TradeIds, again.TradeIds);
        Assert.Equal(4, (await S.SandboxOrdersAsync(user)).Count);
    }

    [SkippableFact]
    public async Task Cancel_lists_the_orders_it_canceled_and_a_sell_without_shorting_exits_the_long()
    {
        var user = await UserAsync("cancel");
        await S.WaitForTradeAsync(await S.TradeAsync(user, new { symbol = "AAPL", side = "buy", type = "market", qty = "3", time_in_force = "day" }), ["filled"]);
        var resting = await S.TradeAsync(user, new { symbol = "AAPL", side = "buy", type = "limit", qty = "1", limit_price = "1", time_in_force = "gtc" });
        var restingOrder = (await S.WaitForTradeAsync(resting, ["submitted"])).GetProperty("alpaca_order_id").GetString();

        var hook = Hook();
        var canceled = await OneAsync(hook, new SignalAlert { Ticker = "AAPL", Action = "cancel" }, Follower(hook, user));
        Assert.Equal((SubscriberOutcome.Placed, (string?)null), (canceled.Status, canceled.Reason));
        Assert.Equal([restingOrder!], canceled.CanceledOrderIds);
        Assert.Empty(canceled.TradeIds);
        Assert.Equal(SignalReasons.NothingToCancel, SignalReasons.CodeOf((await OneAsync(hook, new SignalAlert { Ticker = "AAPL", Action = "cancel" }, Follower(hook, user))).Reason));

        var sold = await OneAsync(hook, Buy() with { Action = "sell" }, Follower(hook, user, value: 1));
        Assert.Equal(SubscriberOutcome.Placed, sold.Status);
        var sell = Assert.Single(await S.SandboxOrdersAsync(user), o => o.GetProperty("side").GetString() == "sell");
        Assert.Equal("3", Qty(sell)); // the whole long, whatever the sizing says
    }

    [SkippableFact]
    public async Task A_bracket_from_percent_take_profit_and_stop_loss_lands_at_Alpaca_on_ticks()
    {
        await S.SetPriceAsync("AAPL", "200");
        var user = await UserAsync("bracket");
        var hook = Hook();
        var alert = Buy() with { SignalPrice = 200.003m, TakeProfit = new PriceOffset { Percent = 5 }, StopLoss = new PriceOffset { Percent = 2 }, TimeInForce = "gtc" };
        var outcome = await OneAsync(hook, alert, Follower(hook, user, value: 2));

        Assert.True(outcome.Status == SubscriberOutcome.Placed, outcome.Reason);
        var order = Assert.Single(await S.SandboxOrdersAsync(user));
        Assert.Equal(("bracket", "2", "gtc"), (order.GetProperty("order_class").GetString(), Qty(order), order.GetProperty("time_in_force").GetString()));
        var legs = order.GetProperty("legs").EnumerateArray().ToList();
        Assert.Equal("210", legs.Single(l => l.GetProperty("type").GetString() == "limit").GetProperty("limit_price").GetString());  // 200.003 * 1.05 = 210.00315
        Assert.Equal("196", legs.Single(l => l.GetProperty("type").GetString() == "stop").GetProperty("stop_price").GetString());     // 200.003 * 0.98 = 196.00294
    }

    [SkippableFact]
    public async Task An_opposite_signal_flattens_first_or_only_or_is_ignored_as_the_hook_says()
    {
        await S.SetPriceAsync("AAPL", "200");
        var ignoring = await UserAsync("ignore");
        var flattening = await UserAsync("flatten");
        foreach (var user in new[] { ignoring, flattening })
            await S.WaitForTradeAsync(await S.TradeAsync(user, new { symbol = "AAPL", side = "buy", type = "market", qty = "6", time_in_force = "day" }), ["filled"]);

        var ignore = Hook(new SignalRules { AllowShort = true, OnOpposite = OppositeSignal.Ignore });
        AssertRefused(await OneAsync(ignore, Buy() with { Action = "sell" }, Follower(ignore, ignoring, value: 2)), SignalReasons.OppositeIgnored);
        Assert.Single(await S.SandboxOrdersAsync(ignoring));

        var flattenOnly = Hook(new SignalRules { AllowShort = true, OnOpposite = OppositeSignal.FlattenOnly });
        var flat = await OneAsync(flattenOnly, Buy() with { Action = "sell" }, Follower(flattenOnly, flattening, value: 2));
        Assert.Equal(SubscriberOutcome.Placed, flat.Status);
        var closing = Assert.Single(await S.SandboxOrdersAsync(flattening), o => o.GetProperty("side").GetString() == "sell");
        Assert.Equal(("6", "filled"), (Qty(closing), closing.GetProperty("status").GetString()));
        Assert.Single(flat.TradeIds);
    }

    [SkippableFact]
    public async Task A_reversal_flattens_first_then_enters_the_other_way_both_ways()
    {
        // A Sandbox of its own whose accounts may sell short (the shared one refuses a sell without shares).
        await using var s = await TestSystem.StartAsync(sandboxOptions: o => o.AllowShorting = true);
        await s.SetPriceAsync("AAPL", "200");
        await s.ConnectAsync("reverser");
        await s.WaitForTradeAsync(await s.TradeAsync("reverser", new { symbol = "AAPL", side = "buy", type = "market", qty = "6", time_in_force = "day" }), ["filled"]);
        var fanOut = s.Services.GetRequiredService<SignalFanOut>();
        var hook = Hook(new SignalRules { AllowShort = true, OnOpposite = OppositeSignal.FlattenThenEnter });
        var follower = Follower(hook, "reverser", value: 2);

        var toShort = Assert.Single(await fanOut.RunAsync(hook, Signal(hook, Buy() with { Action = "sell", Sentiment = "short" }), [follower], CancellationToken.None));
        Assert.True(toShort.Status == SubscriberOutcome.Placed && toShort.Reason is null, toShort.Reason);
        Assert.Equal(2, toShort.TradeIds.Count);
        var orders = await s.SandboxOrdersAsync("reverser");
        var (close, entry) = (orders[1], orders[2]);
        Assert.Equal(("sell", "6", "filled"), (close.GetProperty("side").GetString(), Qty(close), close.GetProperty("status").GetString()));
        Assert.Equal(("sell", "2", "filled"), (entry.GetProperty("side").GetString(), Qty(entry), entry.GetProperty("status").GetString()));
        Assert.True(string.CompareOrdinal(close.GetProperty("filled_at").GetString(), entry.GetProperty("created_at").GetString()) <= 0, "the entry went after the close had filled");
        Assert.Equal([close.GetProperty("client_order_id").GetString(), entry.GetProperty("client_order_id").GetString()],
            await Task.WhenAll(toShort.TradeIds.Select(async id => (await s.GetTradeAsync(id)).GetProperty("client_order_id").GetString())));

        // Short 2 now: a buy covers it, then goes long.
        var toLong = Assert.Single(await fanOut.RunAsync(hook, Signal(hook, Buy()), [follower], CancellationToken.None));
        Assert.True(toLong.Status == SubscriberOutcome.Placed && toLong.Reason is null, toLong.Reason);
        orders = await s.SandboxOrdersAsync("reverser");
        Assert.Equal(5, orders.Count);
        Assert.Equal(("buy", "2", "filled"), (orders[3].GetProperty("side").GetString(), Qty(orders[3]), orders[3].GetProperty("status").GetString()));
        Assert.Equal(("buy", "2", "filled"), (orders[4].GetProperty("side").GetString(), Qty(orders[4]), orders[4].GetProperty("status").GetString()));

        // A shorting hook's exit closes the long it holds (2), once.
        var exit = Signal(hook, new SignalAlert { Ticker = "AAPL", Action = "sell", Sentiment = "flat" });
        Assert.Single((await fanOut.RunAsync(hook, exit, [follower], CancellationToken.None))[0].TradeIds);
        Assert.Single((await fanOut.RunAsync(hook, exit, [follower], CancellationToken.None))[0].TradeIds);
        orders = await s.SandboxOrdersAsync("reverser");
        Assert.Equal(6, orders.Count);
        Assert.Equal(("sell", "2"), (orders[5].GetProperty("side").GetString(), Qty(orders[5])));
    }

    [SkippableFact]
    public async Task A_revoked_token_or_an_Alpaca_refusal_for_one_subscriber_does_not_stop_the_others()
    {
        await S.SetPriceAsync("AAPL", "200");
        var (good, revoked, broke) = (await UserAsync("good"), await UserAsync("revoked"), await UserAsync("broke"));
        (await S.Browser.PostAsJsonAsync(new Uri(S.SandboxUrl, "/sandbox/admin/tokens/revoke"), new { username = revoked + "-alpaca" })).EnsureSuccessStatusCode();
        var hook = Hook();
        var outcomes = await FanOutAsync(hook, Signal(hook, Buy()),
            Follower(hook, revoked, value: 1),
            Follower(hook, broke, value: 10_000),   // $2,000,000 against $100,000 of buying power
            Follower(hook, "never-connected"),
            Follower(hook, good, value: 1));

        Assert.Equal(SubscriberOutcome.Placed, outcomes[3].Status);
        Assert.Equal("filled", (await S.GetTradeAsync(Assert.Single(outcomes[3].TradeIds))).GetProperty("status").GetString());
        AssertRefused(outcomes[2], SignalReasons.ConnectionInactive);
        // Alpaca said no to these two: their trades end as Alpaca's answer says, with its reason.
        var revokedTrade = await S.GetTradeAsync(Assert.Single(outcomes[0].TradeIds));
        Assert.Equal("failed", revokedTrade.GetProperty("status").GetString());
        var brokeTrade = await S.GetTradeAsync(Assert.Single(outcomes[1].TradeIds));
        Assert.Equal("rejected", brokeTrade.GetProperty("status").GetString());
        Assert.Contains("insufficient buying power", brokeTrade.GetProperty("reason").GetString());
        // The revoked connection is marked so: the next signal refuses it without calling Alpaca.
        AssertRefused(await OneAsync(hook, Buy(), Follower(hook, revoked)), SignalReasons.ConnectionInactive);
        Assert.Empty(await S.SandboxOrdersAsync(revoked));
    }
}
