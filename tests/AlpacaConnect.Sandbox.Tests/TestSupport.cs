using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Web;
using Microsoft.Extensions.Time.Testing;

namespace AlpacaConnect.Sandbox.Tests;

/// <summary>A Sandbox on a real Kestrel port plus a client that does not follow redirects.</summary>
internal sealed class Running : IAsyncDisposable
{
    public const string ClientId = "sandbox-client-id";
    public const string ClientSecret = "sandbox-client-secret";
    public const string RedirectUri = "http://localhost:7071/api/oauth/callback";

    private Running(SandboxHost host, FakeTimeProvider time)
    {
        Host = host;
        Time = time;
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
    }

    public SandboxHost Host { get; }

    public FakeTimeProvider Time { get; }

    public HttpClient Http { get; }

    /// <summary>Tuesday 2025-06-24 10:00 New York: a regular session, so day orders live until 16:00.</summary>
    public static DateTimeOffset Start { get; } = new(2025, 6, 24, 14, 0, 0, TimeSpan.Zero);

    public static async Task<Running> StartAsync(Action<SandboxOptions>? configure = null)
    {
        var time = new FakeTimeProvider(Start);
        var host = await SandboxHost.StartAsync(configure, time);
        return new Running(host, time);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    public static string AuthorizeQuery(string? env = "paper", string scope = "trading", string state = "st-123", string clientId = ClientId, string redirectUri = RedirectUri)
    {
        var q = HttpUtility.ParseQueryString("");
        q["response_type"] = "code";
        q["client_id"] = clientId;
        q["redirect_uri"] = redirectUri;
        q["state"] = state;
        q["scope"] = scope;
        if (env is not null)
        {
            q["env"] = env;
        }

        return q.ToString()!;
    }

    /// <summary>Posts the consent form as the browser would and returns the redirect.</summary>
    public async Task<HttpResponseMessage> DecideAsync(
        string decision, string username = "sandbox-user", string? env = "paper", string scope = "trading", string state = "st-123",
        string clientId = ClientId, string redirectUri = RedirectUri)
    {
        var fields = new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = redirectUri, ["state"] = state,
            ["scope"] = scope, ["username"] = username, ["decision"] = decision,
        };
        if (env is not null)
        {
            fields["env"] = env;
        }

        using var form = new FormUrlEncodedContent(fields);
        return await Http.PostAsync(new Uri("/oauth/authorize", UriKind.Relative), form);
    }

    public async Task<string> CodeAsync(string username = "sandbox-user", string? env = "paper", string scope = "trading", string clientId = ClientId, string redirectUri = RedirectUri)
    {
        using var response = await DecideAsync("allow", username, env, scope, clientId: clientId, redirectUri: redirectUri);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return HttpUtility.ParseQueryString(response.Headers.Location!.Query)["code"]!;
    }

    public Task<HttpResponseMessage> ExchangeAsync(string code, string redirectUri = RedirectUri, string clientId = ClientId, string clientSecret = ClientSecret)
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["client_id"] = clientId,
            ["client_secret"] = clientSecret, ["redirect_uri"] = redirectUri,
        });
        return Http.PostAsync(new Uri("/oauth/token", UriKind.Relative), form);
    }

    public async Task<string> TokenAsync(string username = "sandbox-user", string? env = "paper", string scope = "trading")
    {
        var code = await CodeAsync(username, env, scope);
        using var response = await ExchangeAsync(code);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = await Json(response);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>A Trading API client for one env, like the app's PaperApiUrl/LiveApiUrl + bearer token.</summary>
    public Trader Trader(string token, string env = "paper") => new(Http, token, env);

    public async Task PinPriceAsync(string symbol, decimal price)
    {
        using var content = JsonContent.Create(new { price = price.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var response = await Http.PutAsync(new Uri($"/sandbox/admin/prices/{symbol}", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static async Task<JsonDocument> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync());

    /// <summary>Asserts Alpaca's error shape exactly.</summary>
    public static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, int code, string? message = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal(code, json.RootElement.GetProperty("code").GetInt32());
        var actual = json.RootElement.GetProperty("message").GetString();
        if (message is not null)
        {
            Assert.Equal(message, actual);
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(actual));
        }
    }
}

/// <summary>Talks to /{env}/v2 with a bearer token.</summary>
internal sealed class Trader(HttpClient http, string token, string env)
{
    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<HttpResponseMessage> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        SendAsync(HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> OrderAsync(object order) =>
        SendAsync(HttpMethod.Post, "/v2/orders", JsonContent.Create(order));

    public async Task<JsonElement> OkJsonAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    public Task<JsonElement> PlaceAsync(object order) => OkJsonAsync(OrderAsync(order));

    public Task<JsonElement> GetJsonAsync(string path) => OkJsonAsync(GetAsync(path));

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, new Uri($"/{env}{path}", UriKind.Relative)) { Content = content };
        request.Headers.Authorization = new("Bearer", token);
        return await http.SendAsync(request);
    }
}

internal static class JsonExtensions
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static decimal Dec(this JsonElement e, string name) =>
        decimal.Parse(e.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}
