using System.Net;
using System.Text.Json;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>What an error answer must look like: RFC 9457 problem+json with a stable type per kind.</summary>
public static class ProblemAssert
{
    /// <summary>A missing or wrong key: the Server answers problem+json; the Functions host refuses before the app runs (401, no body).</summary>
    public static async Task AssertUnauthorizedAsync(TestSystem s, HttpResponseMessage response)
    {
        if (s.Host == HostKind.Server)
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        else
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string kind, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("urn:alpaca-connect:problem:" + kind, doc.RootElement.GetProperty("type").GetString());
        if (field is not null)
            Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"No error for '{field}': {body}");
    }
}
