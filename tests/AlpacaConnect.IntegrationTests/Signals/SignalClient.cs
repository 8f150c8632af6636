using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Azure.Data.Tables;

namespace AlpacaConnect.IntegrationTests.Signals;

public sealed record CreatedHook(string Id, string Url, string Secret);

/// <summary>What the signal tests do over HTTP, as an app and as TradingView would.</summary>
public static class SignalClient
{
    public static async Task<CreatedHook> CreateHookAsync(this TestSystem s, object? rules = null, string name = "test strategy", string[]? sources = null)
    {
        var response = await s.Api.PostAsJsonAsync("/api/signal-hooks", new { name, rules, allowed_sources = sources });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        return new CreatedHook(root.GetProperty("id").GetString()!, root.GetProperty("url").GetString()!, root.GetProperty("secret").GetString()!);
    }

    public static async Task SubscribeAsync(this TestSystem s, string hookId, string userId, string kind, decimal value, bool fractional = false, bool enabled = true)
    {
        var response = await s.Api.PutAsJsonAsync($"/api/signal-hooks/{hookId}/subscribers/{userId}/paper",
            new { sizing = new { kind, value, allow_fractional = fractional }, enabled });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>POST the alert as TradingView does: a text body (text/plain unless told otherwise), no key.</summary>
    public static Task<HttpResponseMessage> AlertAsync(this TestSystem s, string url, string body, string contentType = "text/plain") =>
        s.Browser.PostAsync(new Uri(url), new StringContent(body, Encoding.UTF8, contentType));

    public static Task<HttpResponseMessage> AlertAsync(this TestSystem s, CreatedHook hook, string body, string contentType = "text/plain") =>
        s.AlertAsync(hook.Url, body, contentType);

    /// <summary>The 202's signal id and duplicate flag.</summary>
    public static async Task<(string SignalId, bool Duplicate, string? Status)> AcceptedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {body}");
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        return (root.GetProperty("signal_id").GetString()!, root.GetProperty("duplicate").GetBoolean(),
            root.TryGetProperty("status", out var status) ? status.GetString() : null);
    }

    public static async Task<JsonElement> GetSignalAsync(this TestSystem s, string signalId)
    {
        using var doc = JsonDocument.Parse(await s.Api.GetStringAsync("/api/signals/" + signalId));
        return doc.RootElement.Clone();
    }

    /// <summary>Polls the signal until its status is one of <paramref name="statuses"/>.</summary>
    public static async Task<JsonElement> WaitForSignalAsync(this TestSystem s, string signalId, string[] statuses, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JsonElement signal;
        do
        {
            signal = await s.GetSignalAsync(signalId);
            if (statuses.Contains(signal.GetProperty("signal").GetProperty("status").GetString()))
                return signal;
            await Task.Delay(150);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"Signal {signalId} did not reach {string.Join('/', statuses)}: {signal}");
        return signal;
    }

    /// <summary>Signal rows recorded for the hook (not its dedupe claims, outcomes or events).</summary>
    public static async Task<int> RecordedSignalsAsync(this TestSystem s, string hookId)
    {
        var count = 0;
        await foreach (var _ in s.Table(Tables.Signals).QueryAsync<TableEntity>(
            $"PartitionKey eq '{hookId}' and RowKey ge '{SignalIds.SignalRowPrefix}' and RowKey lt 'sig\u007f'", select: ["RowKey"]))
            count++;
        return count;
    }

    /// <summary>Any row at all for the hook in the signals table (claims included).</summary>
    public static async Task<int> SignalRowsAsync(this TestSystem s, string hookId)
    {
        var count = 0;
        await foreach (var _ in s.Table(Tables.Signals).QueryAsync<TableEntity>($"PartitionKey eq '{hookId}'", select: ["RowKey"]))
            count++;
        return count;
    }

    /// <summary>A TradingView strategy alert as its template fills it in.</summary>
    public static string TradingViewAlert(string ticker = "AAPL", string action = "buy", string contracts = "3", string close = "187.25", string? id = null, DateTimeOffset? time = null) =>
        $$"""{"ticker":"{{ticker}}","action":"{{action}}","quantity":{{contracts}},"price":{{close}},"time":"{{(time ?? DateTimeOffset.UtcNow):yyyy-MM-ddTHH:mm:ssZ}}"{{(id is null ? "" : $",\"id\":\"{id}\"")}},"interval":"5","exchange":"NASDAQ"}""";
}
