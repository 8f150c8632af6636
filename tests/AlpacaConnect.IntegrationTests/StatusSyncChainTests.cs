using System.Text.RegularExpressions;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

/// <summary>The status sync re-queues only trades whose message is lost, never one whose retry is on its way.</summary>
public sealed partial class StatusSyncChainTests
{
    [Fact]
    public async Task An_alpaca_outage_while_the_sync_runs_again_and_again_leaves_one_retry_chain_and_one_order()
    {
        var calls = new CallsPerTrade();
        await using var s = await TestSystem.StartAsync(services => services.AddCrashingAlpacaCalls(calls), settings: new Dictionary<string, string?>
        {
            // A message 8 s overdue counts as lost; an attempt takes at most 4 s (1 s per call, 4 in all with retries).
            ["Trading:StaleAcceptedAfter"] = "00:00:08",
            ["Alpaca:Timeout"] = "00:00:01",
            ["Trading:MaxAttempts"] = "50",
            // Longer than an attempt, so the runner never hands out a message still being handled.
            ["Server:Queues:VisibilityTimeout"] = "00:00:15",
        });
        await s.ConnectAsync("ron");
        await s.SetFaultsAsync(new { error_rate = 1.0 });

        var id = await s.TradeAsync("ron", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        var clientOrderId = "acf-" + id[(id.IndexOf('~') + 1)..];
        // The outage lasts twice the staleness; the sync runs every half second throughout.
        var sync = s.Services.GetRequiredService<TradeStatusSync>();
        var requeued = 0;
        var outageEnds = DateTime.UtcNow.AddSeconds(18);
        while (DateTime.UtcNow < outageEnds)
        {
            requeued += (await sync.RunAsync(default)).Requeued;
            await Task.Delay(500);
        }
        Assert.Equal("accepted", (await s.GetTradeAsync(id)).GetProperty("status").GetString());

        await s.SetFaultsAsync(new { error_rate = 0.0 });
        var trade = await s.WaitForTradeAsync(id, ["filled", "failed", "rejected"], timeoutSeconds: 30);
        await Task.Delay(3000); // whatever else was queued for the trade has had its turn

        Assert.Equal("filled", trade.GetProperty("status").GetString());
        Assert.Single(await s.SandboxOrdersAsync("ron"), o => o.GetProperty("client_order_id").GetString() == clientOrderId);
        // One chain: never two calls for the trade at once, each attempt number once, nothing re-queued.
        Assert.Equal(1, calls.MaxInFlight(clientOrderId));
        var attempts = s.Logs.Lines.Where(l => l.Contains(id, StringComparison.Ordinal)).Select(l => AttemptFailed().Match(l))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(attempts.Count >= 3, $"Only {attempts.Count} failed attempts during the outage.");
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Order());
        Assert.Equal(0, requeued);
    }

    [GeneratedRegex(@"attempt (\d+) failed transiently")]
    private static partial Regex AttemptFailed();
}

/// <summary>Counts the Alpaca calls made for each client_order_id that are in flight at the same time (it changes nothing).</summary>
internal sealed class CallsPerTrade : DelegatingHandler
{
    private readonly Dictionary<string, (int Now, int Max)> _inFlight = [];

    public int MaxInFlight(string clientOrderId)
    {
        lock (_inFlight)
            return _inFlight.TryGetValue(clientOrderId, out var n) ? n.Max : 0;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = await ClientOrderIdAsync(request, cancellationToken);
        if (key is null)
            return await base.SendAsync(request, cancellationToken);
        lock (_inFlight)
        {
            var n = _inFlight.GetValueOrDefault(key);
            _inFlight[key] = (n.Now + 1, Math.Max(n.Max, n.Now + 1));
        }
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            lock (_inFlight)
            {
                var n = _inFlight[key];
                _inFlight[key] = (n.Now - 1, n.Max);
            }
        }
    }

    /// <summary>The trade a call is for: an order submission's body, or a lookup's query.</summary>
    private static async Task<string?> ClientOrderIdAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query)["client_order_id"];
        if (query is not null)
            return query;
        if (request.Method != HttpMethod.Post || request.Content is null || !request.RequestUri.AbsolutePath.EndsWith("/v2/orders", StringComparison.Ordinal))
            return null;
        using var body = System.Text.Json.JsonDocument.Parse(await request.Content.ReadAsStringAsync(ct));
        return body.RootElement.TryGetProperty("client_order_id", out var id) ? id.GetString() : null;
    }
}
