using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Schedules;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>Schedule steps the tests repeat: create one, read it and its occurrences, run the timer, hold the Sandbox's market.</summary>
public static class Scheduling
{
    public static readonly object DcaOrder = new { symbol = "VTI", side = "buy", type = "market", notional = "50", time_in_force = "day" };

    /// <summary>POST /api/schedules, asserting 201; returns the schedule as answered.</summary>
    public static async Task<JsonElement> CreateScheduleAsync(this TestSystem s, object body)
    {
        var response = await s.Api.PostAsJsonAsync("/api/schedules", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api/schedules: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetScheduleAsync(this TestSystem s, string id)
    {
        var response = await s.Api.GetAsync("/api/schedules/" + Uri.EscapeDataString(id));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static async Task<List<JsonElement>> OccurrencesAsync(this TestSystem s, string id)
    {
        var response = await s.Api.GetAsync($"/api/schedules/{Uri.EscapeDataString(id)}/occurrences");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("occurrences").EnumerateArray().Select(o => o.Clone()).ToList();
    }

    public static async Task<JsonElement> PostScheduleActionAsync(this TestSystem s, string id, string action)
    {
        var response = await s.Api.PostAsync($"/api/schedules/{Uri.EscapeDataString(id)}/{action}", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action}: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The schedules' timer now: in-process on the Server (what its runner calls), through the host's admin API on Functions.</summary>
    public static Task RunSchedulesAsync(this TestSystem s) =>
        s.Functions is not null
            ? s.Functions.RunFunctionAsync("RunSchedules")
            : s.Services.GetRequiredService<ScheduleRunner>().RunAsync(default);

    /// <summary>Holds the Sandbox's market open or closed (null: back to its own sessions).</summary>
    public static async Task SetMarketOpenAsync(this TestSystem s, bool? isOpen) =>
        (await s.Browser.PutAsJsonAsync(new Uri(s.SandboxUrl, "/sandbox/admin/market"), new { is_open = isOpen })).EnsureSuccessStatusCode();

    /// <summary>Asserts a 422 validation problem+json and returns its fields.</summary>
    public static async Task<Dictionary<string, string[]>> ValidationErrorsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        await ProblemAssert.AssertProblemAsync(new HttpResponseMessage(response.StatusCode) { Content = new StringContent(body, System.Text.Encoding.UTF8, response.Content.Headers.ContentType?.MediaType ?? "text/plain") },
            HttpStatusCode.UnprocessableEntity, "validation");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());
    }

    public static DateTimeOffset Time(this JsonElement e, string property) => e.GetProperty(property).GetDateTimeOffset();
}
