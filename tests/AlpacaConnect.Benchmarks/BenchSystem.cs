using AlpacaConnect.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Sandbox;
using AlpacaConnect.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// The whole system, as the integration tests' TestSystem builds it: the Sandbox and the Server on
/// real loopback ports (Kestrel), storage in Azurite under a fresh prefix. Adds only observation:
/// the storage-metric listener, a queue-poll classifier, a progress log and an Alpaca in-flight gauge.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    public const string FunctionKey = "bench-function-key-0123456789";
    public const string ClientId = "sandbox-client-id";
    public const string ClientSecret = "sandbox-client-secret";
    public const string ReturnOrigin = "https://app.example.com";
    /// <summary>As the integration tests: AZURITE_CONNECTION_STRING if set, else the default ports.</summary>
    public static string StorageConnectionString =>
        Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING") is { Length: > 0 } cs ? cs : "UseDevelopmentStorage=true";
    public const int SandboxSeed = 20240601;

    private readonly WebApplication _sandbox;
    private readonly WebApplication _server;

    public string Prefix { get; }
    public Uri ServerUrl { get; }
    public Uri SandboxUrl { get; }
    public Uri CallbackUrl => new(ServerUrl, "/api/oauth/callback");
    public IServiceProvider Services => _server.Services;
    public IReadOnlyDictionary<string, string?> ServerConfig { get; }

    public TradeProgressLog Progress { get; }
    public InFlightGauge AlpacaOrders { get; }

    /// <summary>Keyed API client; many connections allowed (closed-loop senders each hold one).</summary>
    public HttpClient Api { get; }

    /// <summary>A browser: no key, no redirects followed, no cookies.</summary>
    public HttpClient Browser { get; }

    private BenchSystem(WebApplication sandbox, WebApplication server, string prefix, Uri serverUrl, Uri sandboxUrl,
        IReadOnlyDictionary<string, string?> config, TradeProgressLog progress, InFlightGauge gauge)
    {
        _sandbox = sandbox;
        _server = server;
        Prefix = prefix;
        ServerUrl = serverUrl;
        SandboxUrl = sandboxUrl;
        ServerConfig = config;
        Progress = progress;
        AlpacaOrders = gauge;
        Api = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = serverUrl,
            Timeout = TimeSpan.FromSeconds(60),
        };
        Api.DefaultRequestHeaders.Add("x-functions-key", FunctionKey);
        Browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public static async Task<BenchSystem> StartAsync(BenchOptions options)
    {
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..10];
        int serverPort = FreePort.Next(), sandboxPort = FreePort.Next();
        var serverUrl = new Uri($"http://127.0.0.1:{serverPort}");
        var sandboxUrl = new Uri($"http://127.0.0.1:{sandboxPort}");

        var gauge = new InFlightGauge();
        var sandbox = SandboxApp.Build(["--urls", sandboxUrl.ToString(), "--Logging:LogLevel:Default=Warning"], o =>
        {
            o.RedirectUris = new Uri(serverUrl, "/api/oauth/callback").ToString();
            o.ClientId = ClientId;
            o.ClientSecret = ClientSecret;
            o.LatencyMs = options.LatencyMs;
            // We measure our throughput, not Alpaca's limiter.
            o.RateLimitPerMinute = 1_000_000;
            o.ErrorRate = 0;
            o.TimeoutRate = 0;
            o.MarketAlwaysOpen = true;
            o.Seed = SandboxSeed;
        });
        // Observation only: how many order placements are at the Sandbox at once.
        sandbox.Use(async (HttpContext http, RequestDelegate next) =>
        {
            if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.Path.Value!.EndsWith("/v2/orders", StringComparison.Ordinal))
            {
                await next(http);
                return;
            }
            gauge.Enter();
            try
            {
                await next(http);
            }
            finally
            {
                gauge.Exit();
            }
        });
        await sandbox.StartAsync();

        var config = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = StorageConnectionString,
            ["Storage:Prefix"] = prefix,
            ["Alpaca:SandboxUrl"] = sandboxUrl.ToString(),
            ["Connect:PublicBaseUrl"] = serverUrl.ToString(),
            ["Connect:AllowedReturnOrigins"] = ReturnOrigin,
            ["Server:FunctionKey"] = FunctionKey,
            ["Secrets:AlpacaClientSecret"] = ClientSecret,
            ["Secrets:TokenEncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Secrets:LinkSigningSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging:LogLevel:Default"] = "Warning",
            // "No Key Vault" / "using the Sandbox" start-up warnings are expected here.
            ["Logging:LogLevel:AlpacaConnect.Core.StartupReport"] = "Error",
            // Yearly: the timer never fires during a run; phase 5 runs the sync explicitly.
            ["Trading:StatusSyncSchedule"] = "0 0 0 1 1 *",
            // Queue runner timings and trading retries stay at their production defaults.
        };

        var progress = new TradeProgressLog();
        StorageRequestLog.Prefix = prefix;
        var server = ServerApp.Build(["--urls", serverUrl.ToString()],
            c => c.AddInMemoryCollection(config),
            services =>
            {
                services.AddSingleton<ILoggerProvider>(progress);
                services.AddLogging(b => b.AddFilter<TradeProgressLog>(TradeProgressLog.ExecutorCategory, LogLevel.Information));
                // Runs before the app's own factories (StorageAccount.Tables/Queues), which add their metric policy to the same options.
                services.Configure<QueueClientOptions>("Default", o => o.AddPolicy(new StorageRequestLog("queue"), Azure.Core.HttpPipelinePosition.PerRetry));
                services.Configure<TableClientOptions>("Default", o => o.AddPolicy(new StorageRequestLog("table"), Azure.Core.HttpPipelinePosition.PerRetry));
            });
        await server.StartAsync();

        return new BenchSystem(sandbox, server, prefix, serverUrl, sandboxUrl, config, progress, gauge);
    }

    /// <summary>Connects <paramref name="userId"/> through the real consent flow; the Sandbox user is "{userId}-alpaca".</summary>
    public async Task ConnectAsync(string userId)
    {
        using var created = await Api.PostAsJsonAsync("/api/connect-links", new { user_id = userId, env = "paper", return_url = ReturnOrigin + "/connected" });
        var createdBody = await created.Content.ReadAsStringAsync();
        if (created.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/connect-links: {(int)created.StatusCode} {createdBody}");
        using var doc = JsonDocument.Parse(createdBody);
        var link = new Uri(doc.RootElement.GetProperty("url").GetString()!);

        using var authorize = await Browser.GetAsync(link);
        var consentUrl = authorize.Headers.Location ?? throw new InvalidOperationException($"Authorize did not redirect: {(int)authorize.StatusCode}");
        using var consent = await ConsentPage.SubmitAsync(Browser, consentUrl, "allow", userId + "-alpaca");
        var callbackUrl = consent.Headers.Location ?? throw new InvalidOperationException($"Consent did not redirect: {(int)consent.StatusCode}");
        using var done = await Browser.GetAsync(callbackUrl);
        if (done.Headers.Location?.ToString().Contains("alpaca_connect=connected", StringComparison.Ordinal) != true)
            throw new InvalidOperationException($"Connect of {userId} did not complete: {(int)done.StatusCode} {done.Headers.Location}");
    }

    /// <summary>The OAuth code flow done directly against the Sandbox (no Server): a bearer token for <paramref name="username"/>.</summary>
    public async Task<string> DirectTokenAsync(string username)
    {
        var query = string.Join('&',
            $"response_type=code",
            $"client_id={Uri.EscapeDataString(ClientId)}",
            $"redirect_uri={Uri.EscapeDataString(CallbackUrl.AbsoluteUri)}",
            $"scope={Uri.EscapeDataString("account:write trading")}",
            "env=paper",
            "state=bench");
        using var consent = await ConsentPage.SubmitAsync(Browser, new Uri(SandboxUrl, "/oauth/authorize?" + query), "allow", username);
        var redirect = consent.Headers.Location ?? throw new InvalidOperationException($"Sandbox consent did not redirect: {(int)consent.StatusCode}");
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query)["code"].ToString();
        if (code.Length == 0)
            throw new InvalidOperationException($"No code in {redirect}");
        using var token = await Browser.PostAsync(new Uri(SandboxUrl, "/oauth/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
            ["redirect_uri"] = CallbackUrl.AbsoluteUri,
        }));
        var body = await token.Content.ReadAsStringAsync();
        if (!token.IsSuccessStatusCode)
            throw new InvalidOperationException($"Token exchange: {(int)token.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("access_token").GetString()!;
    }

    public async Task SetPriceAsync(string symbol, string price)
    {
        using var response = await Browser.PutAsJsonAsync(new Uri(SandboxUrl, $"/sandbox/admin/prices/{symbol}"), new { price });
        response.EnsureSuccessStatusCode();
    }

    public async Task UnpinPriceAsync(string symbol)
    {
        using var response = await Browser.DeleteAsync(new Uri(SandboxUrl, $"/sandbox/admin/prices/{symbol}"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Orders the Sandbox holds, per username (what "exactly once" is counted against).</summary>
    public async Task<Dictionary<string, int>> SandboxOrderCountsAsync()
    {
        await using var stream = await Browser.GetStreamAsync(new Uri(SandboxUrl, "/sandbox/admin/orders"));
        using var doc = await JsonDocument.ParseAsync(stream);
        return doc.RootElement.GetProperty("orders").EnumerateArray()
            .GroupBy(o => o.GetProperty("username").GetString()!)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    public TradeStatusSync StatusSync => Services.GetRequiredService<TradeStatusSync>();

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Browser.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _server.StopAsync(stop.Token);
        }
        await _server.DisposeAsync();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _sandbox.StopAsync(stop.Token);
        }
        await _sandbox.DisposeAsync();
    }

    /// <summary>Deletes every table and queue whose name starts with <paramref name="prefix"/>; returns how many.</summary>
    public static async Task<(int Tables, int Queues)> DeletePrefixedAsync(string prefix)
    {
        var tables = new TableServiceClient(StorageConnectionString);
        var tableNames = new List<string>();
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "{") < 0))
            tableNames.Add(table.Name);
        foreach (var name in tableNames)
            await tables.DeleteTableAsync(name);
        var queues = new QueueServiceClient(StorageConnectionString);
        var queueNames = new List<string>();
        await foreach (var queue in queues.GetQueuesAsync(prefix: prefix))
            queueNames.Add(queue.Name);
        foreach (var name in queueNames)
            await queues.DeleteQueueAsync(name);
        return (tableNames.Count, queueNames.Count);
    }
}
