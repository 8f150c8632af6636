using System.Net;
using System.Text;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class GroupCommitTestsOnServer() : GroupCommitTests(HostKind.Server);

public sealed class GroupCommitTestsOnFunctions() : GroupCommitTests(HostKind.Functions);

/// <summary>A queue message that carries several trades (group commit), handled by each host's queue trigger: every trade ends once.</summary>
public abstract class GroupCommitTests(HostKind host)
{
    private static readonly string[] Settled = TradingFaultTests.Settled;
    private static readonly TradeOrder Market = new() { Symbol = "AAPL", Side = "buy", Type = "market", Qty = "1", TimeInForce = "day" };

    [SkippableFact]
    public async Task A_message_carrying_several_trades_places_each_once_even_when_delivered_twice()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("gia");
        await s.ConnectAsync("gus");
        var store = s.Services.GetRequiredService<TradeStore>();
        var trades = new List<TradeEntity>();
        foreach (var (user, i) in new[] { ("gia", 1), ("gia", 2), ("gus", 3) })
        {
            var trade = TradeEntity.Accepted(user, TradeIds.RowKeyFor("group-" + i + Guid.NewGuid()), "paper", Market, DateTimeOffset.UtcNow, "hash-" + i);
            Assert.IsType<TradeStore.Accepted>(await store.AcceptAsync(trade, default));
            trades.Add(trade);
        }

        // One message for all three, as the accepting process writes it, and the same message again (a redelivery).
        var text = TradeExecution.Serialize(trades.Select(TradeExecution.For).ToList());
        Assert.Equal(3, TradeExecution.ReadAll(text)!.Count);
        var queue = s.Services.GetRequiredService<TradeQueue>();
        await queue.SendAsync(text, delay: null, default);
        await queue.SendAsync(text, delay: null, default);

        foreach (var trade in trades)
            Assert.Equal("filled", (await s.WaitForTradeAsync(trade.TradeId, Settled)).GetProperty("status").GetString());
        foreach (var user in new[] { "gia", "gus" })
            Assert.Equal(
                trades.Where(t => t.PartitionKey == user).Select(t => TradeIds.ClientOrderId(t.RowKey)).Order(),
                (await s.SandboxOrdersAsync(user)).Select(o => o.GetProperty("client_order_id").GetString()!).Order());
        await WaitForEmptyQueueAsync(s);
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions, poison: true));
    }

    internal static async Task WaitForEmptyQueueAsync(TestSystem s)
    {
        for (var i = 0; i < 100 && await s.QueueLengthAsync(Queues.TradeExecutions) > 0; i++)
            await Task.Delay(100);
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions));
    }
}

/// <summary>
/// Group commit under crashes: these hold the Server's queue sends and Alpaca calls in its own
/// process (a storage pipeline policy, an HTTP handler) and restart it, so they run on the Server.
/// </summary>
public sealed class ServerGroupCommitTests
{
    private static readonly string[] Settled = TradingFaultTests.Settled;
    private static readonly object Market = new { symbol = "SPY", side = "buy", type = "market", qty = "1", time_in_force = "day" };

    /// <summary>
    /// Trades queued while a queue send is on its way share the next message (the queue path, as in
    /// the Functions host or with the Server's inline slots full); each ends filled with one order.
    /// </summary>
    [Fact]
    public async Task Trades_queued_while_a_send_is_on_its_way_share_the_next_message()
    {
        var sends = new TradeSendGate();
        await using var s = await TestSystem.StartAsync(
            services => services.Configure<QueueClientOptions>("Default", o => o.AddPolicy(sends, HttpPipelinePosition.PerRetry)),
            new Dictionary<string, string?> { ["Trading:InlineExecutions"] = "0" });
        await s.ConnectAsync("gwen");
        await s.ConnectAsync("gil");

        // The first trade's message is held on its way; three more arrive meanwhile and wait for the next one.
        var first = s.TradeAsync("gwen", Market);
        await sends.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var rest = new[] { "gwen", "gil", "gil" }.Select(u => s.TradeAsync(u, Market)).ToList();
        await Task.Delay(1000);
        sends.Release.SetResult();
        var ids = new List<string> { await first };
        foreach (var t in rest)
            ids.Add(await t);
        Assert.Equal(new[] { 1, 3 }, sends.TradesPerMessage.Order());

        foreach (var id in ids)
            Assert.Equal("filled", (await s.WaitForTradeAsync(id, Settled, timeoutSeconds: 40)).GetProperty("status").GetString());
        AssertOneOrderEach(ids, await s.SandboxOrdersAsync("gwen"), "gwen");
        AssertOneOrderEach(ids, await s.SandboxOrdersAsync("gil"), "gil");
        await GroupCommitTests.WaitForEmptyQueueAsync(s);
    }

    /// <summary>
    /// The Server runs trades inline, with no queue message: the row and its index entry are the
    /// record of the work. The process dies with all of them in flight at Alpaca: before the order
    /// was sent, or after Alpaca placed it but before it was recorded. The restarted process's status
    /// sync finds them overdue and queues them; each ends filled with exactly one order.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Inline_trades_each_end_with_one_order_after_a_crash_mid_execution(bool orderPlaced)
    {
        var alpaca = new StallOrderPosts(stall: 4, afterPlacing: orderPlaced);
        await using var s = await TestSystem.StartAsync(services => services.AddCrashingAlpacaCalls(alpaca),
            new Dictionary<string, string?> { ["Trading:StaleAcceptedAfter"] = "00:00:01" });
        await s.ConnectAsync("gwen");
        await s.ConnectAsync("gil");

        var ids = new List<string>();
        foreach (var user in new[] { "gwen", "gwen", "gil", "gil" })
            ids.Add(await s.TradeAsync(user, Market));
        await alpaca.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        foreach (var id in ids)
            Assert.Equal("accepted", (await s.GetTradeAsync(id)).GetProperty("status").GetString());
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions));

        await s.RestartServerAsync();
        foreach (var id in ids)
            Assert.Equal("filled", (await s.WaitForTradeAsync(id, Settled, runSync: true, timeoutSeconds: 40)).GetProperty("status").GetString());
        AssertOneOrderEach(ids, await s.SandboxOrdersAsync("gwen"), "gwen");
        AssertOneOrderEach(ids, await s.SandboxOrdersAsync("gil"), "gil");
        await GroupCommitTests.WaitForEmptyQueueAsync(s);
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions, poison: true));
    }

    private static void AssertOneOrderEach(List<string> ids, List<System.Text.Json.JsonElement> orders, string user)
    {
        var mine = ids.Where(id => id.StartsWith(user + TradeIds.Separator, StringComparison.Ordinal)).Select(id => "acf-" + id[(id.IndexOf(TradeIds.Separator) + 1)..]);
        Assert.Equal(mine.Order(), orders.Select(o => o.GetProperty("client_order_id").GetString()!).Order());
    }

    /// <summary>
    /// On the queue path, the process dies after the trade's row was written but before its message
    /// reached the queue (the send never returns, so the caller never got its 202): the status sync finds the overdue
    /// accepted trade and queues it; one order.
    /// </summary>
    [Fact]
    public async Task A_crash_after_the_trade_was_recorded_but_before_its_message_was_sent_is_recovered_by_the_sync()
    {
        var sends = new TradeSendGate();
        await using var s = await TestSystem.StartAsync(
            services => services.Configure<QueueClientOptions>("Default", o => o.AddPolicy(sends, HttpPipelinePosition.PerRetry)),
            new Dictionary<string, string?> { ["Trading:InlineExecutions"] = "0", ["Trading:StaleAcceptedAfter"] = "00:00:01" });
        await s.ConnectAsync("gray");

        var key = "crash-before-send-" + Guid.NewGuid();
        var id = "gray" + TradeIds.Separator + TradeIds.RowKeyFor(key);
        var post = s.PostTradeAsync(new { user_id = "gray", env = "paper", order = Market }, key);
        await sends.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 50 && await RowAsync(s, id) is null; i++)
            await Task.Delay(100);
        Assert.Equal("accepted", (await s.GetTradeAsync(id)).GetProperty("status").GetString());

        // The process dies; its send is dropped and never reaches the queue.
        await s.RestartServerAsync();
        sends.Release.SetException(new HttpRequestException("the process died"));
        Assert.NotEqual(HttpStatusCode.Accepted, await StatusOrNoneAsync(post));
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions));

        await Task.Delay(TimeSpan.FromSeconds(1.5)); // StaleAcceptedAfter past the due time noted on the row
        var trade = await s.WaitForTradeAsync(id, Settled, runSync: true, timeoutSeconds: 30);
        Assert.Equal("filled", trade.GetProperty("status").GetString());
        Assert.Single(await s.SandboxOrdersAsync("gray"));
    }

    /// <summary>
    /// One trade of a shared message fails on every delivery: the message is retried, then poisoned;
    /// the poison handler fails that trade with the reason, and its neighbours, placed on the first
    /// delivery, stay filled with one order each.
    /// </summary>
    [Fact]
    public async Task A_trade_that_keeps_failing_poisons_only_itself_in_a_shared_message()
    {
        await using var s = await TestSystem.StartAsync(
            services => services.AddCrashingAlpacaCalls(new CrashOnSymbol("TSLA")),
            new Dictionary<string, string?> { ["Trading:MaxDequeueCount"] = "2", ["Trading:InlineExecutions"] = "0" });
        await s.ConnectAsync("gina");
        var store = s.Services.GetRequiredService<TradeStore>();
        var trades = new List<TradeEntity>();
        foreach (var symbol in new[] { "AAPL", "TSLA", "MSFT" })
        {
            var order = new TradeOrder { Symbol = symbol, Side = "buy", Type = "market", Qty = "1", TimeInForce = "day" };
            var trade = TradeEntity.Accepted("gina", TradeIds.RowKeyFor("poison-" + symbol + Guid.NewGuid()), "paper", order, DateTimeOffset.UtcNow, "hash-" + symbol);
            await store.AcceptAsync(trade, default);
            trades.Add(trade);
        }
        await s.Services.GetRequiredService<TradeQueue>().SendAsync(TradeExecution.Serialize(trades.Select(TradeExecution.For).ToList()), delay: null, default);

        var failed = await s.WaitForTradeAsync(trades[1].TradeId, ["failed"], timeoutSeconds: 40);
        Assert.Contains("poison", failed.GetProperty("reason").GetString());
        foreach (var trade in new[] { trades[0], trades[2] })
            Assert.Equal("filled", (await s.GetTradeAsync(trade.TradeId)).GetProperty("status").GetString());
        Assert.Equal(
            new[] { trades[0], trades[2] }.Select(t => TradeIds.ClientOrderId(t.RowKey)).Order(),
            (await s.SandboxOrdersAsync("gina")).Select(o => o.GetProperty("client_order_id").GetString()!).Order());
        Assert.Contains(s.Logs.Lines, l => l.Contains("moved to poison after 2 deliveries", StringComparison.Ordinal));
    }

    private static async Task<Azure.Data.Tables.TableEntity?> RowAsync(TestSystem s, string id)
    {
        Assert.True(TradeIds.TryParse(id, out var user, out var row));
        var found = await s.Table(Tables.Trades).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(user, row);
        return found.HasValue ? found.Value : null;
    }

    private static async Task<HttpStatusCode?> StatusOrNoneAsync(Task<HttpResponseMessage> post)
    {
        try
        {
            using var response = await post.WaitAsync(TimeSpan.FromSeconds(20));
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or TimeoutException)
        {
            return null;
        }
    }
}

/// <summary>Holds the first send to the trade-executions queue until released; records how many trades each send carried.</summary>
internal sealed class TradeSendGate : HttpPipelinePolicy
{
    private int _held;

    public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public System.Collections.Concurrent.ConcurrentBag<int> TradesPerMessage { get; } = [];

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("The app's storage calls are asynchronous.");

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var uri = message.Request.Uri.ToUri();
        if (message.Request.Method == RequestMethod.Post && uri.AbsolutePath.EndsWith("trade-executions/messages", StringComparison.Ordinal))
        {
            TradesPerMessage.Add(CountTrades(message.Request.Content));
            if (Interlocked.Exchange(ref _held, 1) == 0)
            {
                Arrived.SetResult();
                await Release.Task;
            }
        }
        await ProcessNextAsync(message, pipeline);
    }

    /// <summary>The queue's XML body holds the message base64-encoded; each trade in it has its own trade_id.</summary>
    private static int CountTrades(RequestContent? content)
    {
        using var buffer = new MemoryStream();
        content?.WriteTo(buffer, default);
        var xml = Encoding.UTF8.GetString(buffer.ToArray());
        var start = xml.IndexOf("<MessageText>", StringComparison.Ordinal) + "<MessageText>".Length;
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(xml[start..xml.IndexOf("</MessageText>", StringComparison.Ordinal)]));
        return TradeExecution.ReadAll(text)?.Count ?? 0;
    }
}

/// <summary>The first <c>stall</c> order submissions never finish (the process "dies" with them in flight): before reaching the Sandbox, or after it placed the order.</summary>
internal sealed class StallOrderPosts(int stall, bool afterPlacing) : DelegatingHandler
{
    private int _seen;

    public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Post || request.RequestUri?.AbsolutePath.EndsWith("/orders", StringComparison.Ordinal) != true)
            return await base.SendAsync(request, cancellationToken);
        var n = Interlocked.Increment(ref _seen);
        if (n > stall)
            return await base.SendAsync(request, cancellationToken);
        if (afterPlacing)
            (await base.SendAsync(request, cancellationToken)).Dispose();
        if (n == stall)
            Stalled.SetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new OperationCanceledException(cancellationToken);
    }
}

/// <summary>Every order submission for one symbol throws an unexpected exception before reaching the Sandbox.</summary>
internal sealed class CrashOnSymbol(string symbol) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && request.Content is not null
            && (await request.Content.ReadAsStringAsync(cancellationToken)).Contains($"\"{symbol}\"", StringComparison.Ordinal))
            throw new InvalidOperationException("simulated bug in the submit path");
        return await base.SendAsync(request, cancellationToken);
    }
}
