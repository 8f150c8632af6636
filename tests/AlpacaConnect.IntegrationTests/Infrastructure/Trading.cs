using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.TestSupport;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>Trading steps the tests repeat: connect a user, post a trade, wait for a status, ask the Sandbox what it holds.</summary>
public static class Trading
{
    /// <summary>Connects <paramref name="userId"/> through the real consent flow; the Sandbox user is "{userId}-alpaca".</summary>
    public static Task ConnectAsync(this TestSystem s, string userId, string env = "paper") =>
        SystemStart.ConnectAsync(s.Api, s.Browser, userId, env, TestSystem.ReturnOrigin + "/connected");

    public static async Task<HttpResponseMessage> PostTradeAsync(this TestSystem s, object body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/trades") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key ?? Guid.NewGuid().ToString());
        return await s.Api.SendAsync(request);
    }

    /// <summary>Posts a trade and returns its id (asserting 202).</summary>
    public static async Task<string> TradeAsync(this TestSystem s, string userId, object order, string? key = null, string env = "paper")
    {
        var response = await s.PostTradeAsync(new { user_id = userId, env, order }, key);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/trades: {response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(response.Headers.Location!.ToString(), doc.RootElement.GetProperty("status_url").GetString());
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> GetTradeAsync(this TestSystem s, string id)
    {
        var response = await s.Api.GetAsync("/api/trades/" + Uri.EscapeDataString(id));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    /// <summary>Polls the trade until its status is one of <paramref name="statuses"/>; the status sync runs between polls when asked.</summary>
    public static async Task<JsonElement> WaitForTradeAsync(this TestSystem s, string id, string[] statuses, bool runSync = false, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JsonElement trade;
        do
        {
            trade = await s.GetTradeAsync(id);
            if (statuses.Contains(trade.GetProperty("status").GetString()))
                return trade;
            if (runSync)
                await s.SyncAsync();
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"Trade {id} did not reach {string.Join('/', statuses)}: {trade}");
        return trade;
    }

    public static Task SyncAsync(this TestSystem s) => s.SyncTradeStatusAsync();

    /// <summary>Orders the Sandbox holds for a (simulated Alpaca) user: what "exactly once" is counted against.</summary>
    public static async Task<List<JsonElement>> SandboxOrdersAsync(this TestSystem s, string userId, string env = "paper")
    {
        using var doc = JsonDocument.Parse(await s.Browser.GetStringAsync(new Uri(s.SandboxUrl, $"/sandbox/admin/orders?username={userId}-alpaca&env={env}")));
        return doc.RootElement.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("order").Clone()).ToList();
    }

    public static async Task SetFaultsAsync(this TestSystem s, object faults) =>
        (await s.Browser.PutAsJsonAsync(new Uri(s.SandboxUrl, "/sandbox/admin/faults"), faults)).EnsureSuccessStatusCode();

    public static async Task SetPriceAsync(this TestSystem s, string symbol, string price) =>
        (await s.Browser.PutAsJsonAsync(new Uri(s.SandboxUrl, $"/sandbox/admin/prices/{symbol}"), new { price })).EnsureSuccessStatusCode();

    public static async Task<int> QueueLengthAsync(this TestSystem s, string queue, bool poison = false)
    {
        var queues = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Queues>(s.Services);
        var client = poison ? queues.Poison(queue) : queues.Get(queue);
        return (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }
}
