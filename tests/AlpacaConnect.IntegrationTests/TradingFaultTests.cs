using System.Net;
using System.Net.Http.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Azure.Core;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace AlpacaConnect.IntegrationTests;

public sealed class TradingFaultTestsOnServer() : TradingFaultTests(HostKind.Server);

public sealed class TradingFaultTestsOnFunctions() : TradingFaultTests(HostKind.Functions);

/// <summary>Storms, revocations, refusals and lost messages, on both hosts: every trade ends once, with exactly one order at Alpaca.</summary>
public abstract class TradingFaultTests(HostKind host)
{
    internal static readonly string[] Settled = ["submitted", "partially_filled", "filled", "canceled", "expired", "rejected", "failed"];

    [SkippableFact]
    public async Task Trades_whose_queue_message_was_lost_are_requeued_by_the_sync_and_a_canceled_one_is_never_sent()
    {
        await using var s = await TestSystem.StartAsync(host: host, settings: new Dictionary<string, string?> { ["Trading:StaleAcceptedAfter"] = "00:00:01" });
        await s.ConnectAsync("pia");
        var store = s.Services.GetRequiredService<Core.Trading.TradeStore>();
        var order = new Core.Trading.TradeOrder { Symbol = "AAPL", Side = "buy", Type = "market", Qty = "1", TimeInForce = "day" };

        // Recorded but never queued, as after a crash between the two.
        var lost = Core.Trading.TradeEntity.Accepted("pia", Core.Trading.TradeIds.RowKeyFor("lost-1"), "paper", order, DateTimeOffset.UtcNow, "hash-1");
        await store.AcceptAsync(lost, default);
        var canceled = Core.Trading.TradeEntity.Accepted("pia", Core.Trading.TradeIds.RowKeyFor("lost-2"), "paper", order, DateTimeOffset.UtcNow, "hash-2");
        await store.AcceptAsync(canceled, default);
        Assert.Equal(HttpStatusCode.Accepted, (await s.Api.DeleteAsync("/api/trades/" + canceled.TradeId)).StatusCode);

        await Task.Delay(1500);
        await s.SyncAsync();
        Assert.Equal("filled", (await s.WaitForTradeAsync(lost.TradeId, Settled)).GetProperty("status").GetString());
        var never = await s.WaitForTradeAsync(canceled.TradeId, Settled);
        Assert.Equal("canceled", never.GetProperty("status").GetString());
        Assert.Contains("before it was sent", never.GetProperty("reason").GetString());
        Assert.Equal(["acf-" + lost.RowKey], (await s.SandboxOrdersAsync("pia")).Select(o => o.GetProperty("client_order_id").GetString()));
    }


    [SkippableFact]
    public async Task Rate_limit_storms_5xx_bursts_and_timeouts_still_submit_every_trade_exactly_once()
    {
        await using var s = await TestSystem.StartAsync(host: host,
            settings: new Dictionary<string, string?> { ["Alpaca:Timeout"] = "00:00:01", ["Trading:MaxAttempts"] = "30" },
            sandboxOptions: o => { o.TimeoutDelayMs = 2500; o.Seed = 7; });
        string[] users = ["p1", "p2", "p3"];
        foreach (var user in users)
            await s.ConnectAsync(user);
        // A storm: almost no rate budget while the burst arrives, and 5xx and timeouts throughout.
        await s.SetFaultsAsync(new { error_rate = 0.3, timeout_rate = 0.2, rate_limit_per_minute = 3, latency_ms = 20 });

        var trades = new List<(string User, string Id)>();
        for (var i = 0; i < 24; i++)
        {
            var user = users[i % users.Length];
            trades.Add((user, await s.TradeAsync(user, new { symbol = "SPY", side = "buy", type = "market", qty = "1", time_in_force = "day" })));
        }

        await Task.Delay(4000);
        Assert.Contains(s.Logs.Lines, l => l.Contains("rate limited", StringComparison.Ordinal));
        // The storm passes (the budget comes back); the 5xx and timeouts go on.
        await s.SetFaultsAsync(new { error_rate = 0.3, timeout_rate = 0.2, rate_limit_per_minute = 200, latency_ms = 20 });

        foreach (var (_, id) in trades)
        {
            var trade = await s.WaitForTradeAsync(id, ["submitted", "filled"], timeoutSeconds: 120);
            Assert.NotNull(trade.GetProperty("alpaca_order_id").GetString());
        }
        await s.SetFaultsAsync(new { error_rate = 0.0, timeout_rate = 0.0, rate_limit_per_minute = 1000, latency_ms = 0 });

        foreach (var user in users)
        {
            var orders = await s.SandboxOrdersAsync(user);
            var mine = trades.Where(t => t.User == user).Select(t => "acf-" + t.Id[(t.Id.IndexOf('~') + 1)..]).ToHashSet();
            // Exactly one order per trade: no trade missing, none doubled.
            Assert.Equal(mine.Order(), orders.Select(o => o.GetProperty("client_order_id").GetString()!).Order());
        }
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions, poison: true));
        Assert.Contains(s.Logs.Lines, l => l.Contains("failed transiently", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_revoked_token_fails_the_trade_and_marks_the_connection_revoked()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("liv");
        (await s.Browser.PostAsJsonAsync(new Uri(s.SandboxUrl, "/sandbox/admin/tokens/revoke"), new { username = "liv-alpaca" })).EnsureSuccessStatusCode();

        var id = await s.TradeAsync("liv", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        var trade = await s.WaitForTradeAsync(id, Settled);
        Assert.Equal("failed", trade.GetProperty("status").GetString());
        Assert.Contains("revoked", trade.GetProperty("reason").GetString());

        using var list = System.Text.Json.JsonDocument.Parse(await s.Api.GetStringAsync("/api/connections/liv"));
        Assert.Equal("revoked", list.RootElement.GetProperty("connections")[0].GetProperty("status").GetString());
        Assert.Empty(await s.SandboxOrdersAsync("liv"));

        // A revoked connection takes no new trades at the edge.
        var refused = await s.PostTradeAsync(new { user_id = "liv", env = "paper", order = new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" } });
        await ProblemAssert.AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "validation", "connection");
    }

    [SkippableFact]
    public async Task Alpaca_refusals_end_the_trade_rejected_with_alpacas_reason()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("max");
        var id = await s.TradeAsync("max", new { symbol = "AAPL", side = "buy", type = "market", qty = "100000", time_in_force = "day" });
        var trade = await s.WaitForTradeAsync(id, Settled);
        Assert.Equal("rejected", trade.GetProperty("status").GetString());
        Assert.Contains("insufficient buying power", trade.GetProperty("reason").GetString());
        Assert.Contains("40310000", trade.GetProperty("reason").GetString());
    }

}

/// <summary>Crashes and in-process runs: these swap Alpaca calls in the Server's own process or use its inline execution, so they run on the Server.</summary>
public sealed class ServerTradingFaultTests
{
    private static readonly string[] Settled = TradingFaultTests.Settled;

    /// <param name="inline">Server default: the accepting process runs the trade itself (no message; the sync is the backup); off, as in Functions: the queue runner does.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_crash_after_alpaca_accepted_the_order_but_before_it_was_recorded_ends_with_one_order_after_restart(bool inline)
    {
        var crash = new CrashAfterOrderPlaced();
        await using var s = await TestSystem.StartAsync(services => services.AddCrashingAlpacaCalls(crash), settings: new Dictionary<string, string?>
        {
            ["Trading:InlineExecutions"] = inline ? "256" : "0",
            // Inline there is no message: the restarted process's sync queues the overdue trade.
            ["Trading:StaleAcceptedAfter"] = inline ? "00:00:01" : "00:01:00",
        });
        await s.ConnectAsync("kai");

        var id = await s.TradeAsync("kai", new { symbol = "GOOGL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        await crash.Placed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("accepted", (await s.GetTradeAsync(id)).GetProperty("status").GetString());
        Assert.Single(await s.SandboxOrdersAsync("kai"));

        // The process dies mid-run; a fresh one finishes it: the message when it becomes visible, or inline the sync.
        await s.RestartServerAsync();
        var trade = await s.WaitForTradeAsync(id, Settled, runSync: true, timeoutSeconds: 40);

        Assert.Equal("filled", trade.GetProperty("status").GetString());
        var order = Assert.Single(await s.SandboxOrdersAsync("kai"));
        Assert.Equal(order.GetProperty("id").GetString(), trade.GetProperty("alpaca_order_id").GetString());
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions, poison: true));
    }

    [Fact]
    public async Task The_server_runs_an_accepted_trade_at_once_without_a_queue_message()
    {
        var sends = new TradeSendGate();
        sends.Release.SetResult();
        await using var s = await TestSystem.StartAsync(
            services => services.Configure<QueueClientOptions>("Default", o => o.AddPolicy(sends, HttpPipelinePosition.PerRetry)));
        await s.ConnectAsync("ina");

        var id = await s.TradeAsync("ina", new { symbol = "SPY", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        var trade = await s.WaitForTradeAsync(id, Settled, runSync: false, timeoutSeconds: 15);

        Assert.Equal("filled", trade.GetProperty("status").GetString());
        Assert.Single(await s.SandboxOrdersAsync("ina"));
        Assert.Empty(sends.TradesPerMessage);
    }

    [Fact]
    public async Task A_reused_idempotency_key_places_nothing_more_and_queues_nothing()
    {
        var sends = new TradeSendGate();
        sends.Release.SetResult();
        await using var s = await TestSystem.StartAsync(
            services => services.Configure<QueueClientOptions>("Default", o => o.AddPolicy(sends, HttpPipelinePosition.PerRetry)));
        await s.ConnectAsync("ida");
        var key = "order-" + Guid.NewGuid();
        var order = new { symbol = "SPY", side = "buy", type = "market", qty = "1", time_in_force = "day" };

        var id = await s.TradeAsync("ida", order, key);
        Assert.Equal(HttpStatusCode.Accepted, (await s.PostTradeAsync(new { user_id = "ida", env = "paper", order }, key)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await s.PostTradeAsync(new { user_id = "ida", env = "paper", order = order with { qty = "2" } }, key)).StatusCode);
        await s.WaitForTradeAsync(id, Settled, runSync: false, timeoutSeconds: 15);

        Assert.Single(await s.SandboxOrdersAsync("ida"));
        Assert.Empty(sends.TradesPerMessage);
    }

    [Fact]
    public async Task A_message_that_keeps_failing_lands_in_poison_and_leaves_its_trade_failed_with_the_reason()
    {
        await using var s = await TestSystem.StartAsync(
            services => services.AddCrashingAlpacaCalls(new AlwaysCrashOnOrderPost()),
            // The queue path (inline, a throwing run is left to the sync, which queues it the same way).
            new Dictionary<string, string?> { ["Trading:MaxDequeueCount"] = "2", ["Trading:InlineExecutions"] = "0" });
        await s.ConnectAsync("ned");

        var id = await s.TradeAsync("ned", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        var trade = await s.WaitForTradeAsync(id, Settled, timeoutSeconds: 40);
        Assert.Equal("failed", trade.GetProperty("status").GetString());
        Assert.Contains("poison", trade.GetProperty("reason").GetString());
        Assert.Empty(await s.SandboxOrdersAsync("ned"));
    }

    [Fact]
    public async Task A_cancel_that_arrives_while_the_order_is_on_its_way_cancels_it_at_alpaca_once_it_lands()
    {
        var gate = new HoldOrderPosts();
        await using var s = await TestSystem.StartAsync(services => services.AddCrashingAlpacaCalls(gate));
        await s.ConnectAsync("ola");
        await s.SetPriceAsync("META", "500.00");

        var id = await s.TradeAsync("ola", new { symbol = "META", side = "buy", type = "limit", limit_price = "400.00", qty = "1", time_in_force = "gtc" });
        await gate.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Accepted, (await s.Api.DeleteAsync("/api/trades/" + id)).StatusCode);
        gate.Release.SetResult();

        var trade = await s.WaitForTradeAsync(id, ["canceled"], runSync: true);
        Assert.True(trade.GetProperty("cancel_requested").GetBoolean());
        var order = Assert.Single(await s.SandboxOrdersAsync("ola"));
        Assert.Equal("canceled", order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_cancel_after_an_attempt_whose_answer_was_lost_finds_the_order_and_cancels_it_at_alpaca()
    {
        var lose = new LoseFirstOrderAnswer();
        await using var s = await TestSystem.StartAsync(services => services.AddCrashingAlpacaCalls(lose),
            new Dictionary<string, string?> { ["Trading:RetryBaseDelay"] = "00:00:03" });
        await s.ConnectAsync("oda");
        await s.SetPriceAsync("META", "500.00");

        // Alpaca has the order; the app saw a 504, so the trade is still accepted with a retry on its way.
        var id = await s.TradeAsync("oda", new { symbol = "META", side = "buy", type = "limit", limit_price = "400.00", qty = "1", time_in_force = "gtc" });
        await lose.Lost.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Accepted, (await s.Api.DeleteAsync("/api/trades/" + id)).StatusCode);

        var trade = await s.WaitForTradeAsync(id, ["canceled"], runSync: false, timeoutSeconds: 30);
        var order = Assert.Single(await s.SandboxOrdersAsync("oda"));
        Assert.Equal("canceled", order.GetProperty("status").GetString());
        Assert.Equal(order.GetProperty("id").GetString(), trade.GetProperty("alpaca_order_id").GetString());
    }
}

/// <summary>The first order submission reaches the Sandbox (the order exists) but its answer is lost: the app sees a 504.</summary>
internal sealed class LoseFirstOrderAnswer : DelegatingHandler
{
    private int _lost;

    public TaskCompletionSource Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method != HttpMethod.Post || !response.IsSuccessStatusCode || Interlocked.Exchange(ref _lost, 1) != 0)
            return response;
        response.Dispose();
        Lost.SetResult();
        return new HttpResponseMessage(HttpStatusCode.GatewayTimeout) { Content = new StringContent("{\"message\":\"gateway timeout\"}") };
    }
}

/// <summary>Holds the first order submission until the test releases it.</summary>
internal sealed class HoldOrderPosts : DelegatingHandler
{
    private int _held;

    public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && Interlocked.Exchange(ref _held, 1) == 0)
        {
            Arrived.SetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Lets the first order reach the Sandbox, then kills the call before the answer is used: the process "dies".</summary>
internal sealed class CrashAfterOrderPlaced : DelegatingHandler
{
    private int _crashed;

    public TaskCompletionSource Placed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Post && response.IsSuccessStatusCode && Interlocked.Exchange(ref _crashed, 1) == 0)
        {
            Placed.SetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return response;
    }
}

/// <summary>Every order submission throws an unexpected exception before reaching the Sandbox.</summary>
internal sealed class AlwaysCrashOnOrderPost : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Method == HttpMethod.Post
            ? throw new InvalidOperationException("simulated bug in the submit path")
            : base.SendAsync(request, cancellationToken);
}

internal static class CrashingCalls
{
    /// <summary>Puts <paramref name="handler"/> between the typed Alpaca client and the network.</summary>
    public static void AddCrashingAlpacaCalls(this IServiceCollection services, DelegatingHandler handler) =>
        services.Configure<HttpClientFactoryOptions>(typeof(AlpacaTradingClient).Name,
            o => o.HttpMessageHandlerBuilderActions.Add(b => b.AdditionalHandlers.Add(handler)));
}
