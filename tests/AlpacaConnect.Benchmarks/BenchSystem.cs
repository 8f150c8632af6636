using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// The whole system, started as the integration tests' TestSystem starts it (TestSupport's
/// <see cref="SystemStart"/>): the Sandbox and the Server on real loopback ports (Kestrel), storage in
/// the shared Azurite under a fresh prefix. Adds only observation:
/// the storage-metric listener, a queue-poll classifier, a progress log and an Alpaca in-flight gauge.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    public const string FunctionKey = "bench-function-key-0123456789";
    public const string ClientId = "sandbox-client-id";
    public const string ClientSecret = SystemStart.SandboxClientSecret;
    public const string ReturnOrigin = "https://app.example.com";
    /// <summary>The shared Azurite, as the integration tests use it.</summary>
    public static string StorageConnectionString => Azurite.ConnectionString;
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
        var prefix = Azurite.NewPrefix("bench", 10);
        var urls = SystemUrls.Next();

        var gauge = new InFlightGauge();
        var sandbox = SystemStart.BuildSandbox(urls, o =>
        {
            o.ClientId = ClientId;
            o.ClientSecret = ClientSecret;
            o.LatencyMs = options.LatencyMs;
            // We measure our throughput, not Alpaca's limiter.
            o.RateLimitPerMinute = 1_000_000;
            o.ErrorRate = 0;
            o.TimeoutRate = 0;
            o.MarketAlwaysOpen = true;
            o.Seed = SandboxSeed;
        }, "--Logging:LogLevel:Default=Warning");
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

        var config = SystemStart.AppSettings(urls, StorageConnectionString, prefix, FunctionKey, ReturnOrigin,
            tokenEncryptionKey: SystemStart.NewKey(), linkSigningSecret: SystemStart.NewKey(), logLevel: "Warning");
        // "No Key Vault" / "using the Sandbox" start-up warnings are expected here.
        config["Logging:LogLevel:AlpacaConnect.Core.StartupReport"] = "Error";
        // The trade scenario measures the execution path; the far limits' follow-up checks (order
        // events) would outlive its phases. --scenario order-events measures them.
        config["Trading:FollowUpSchedule"] = "";
        // The status sync timer never fires (phase 5 runs the sync explicitly); queue runner timings
        // and trading retries stay at their production defaults.

        var progress = new TradeProgressLog();
        StorageRequestLog.Prefix = prefix;
        var server = await SystemStart.StartServerAsync(urls.App, config, services =>
        {
            services.AddSingleton<ILoggerProvider>(progress);
            services.AddLogging(b => b.AddFilter<TradeProgressLog>(TradeProgressLog.ExecutorCategory, LogLevel.Information));
            // Runs before the app's own factories (StorageAccount.Tables/Queues), which add their metric policy to the same options.
            services.Configure<QueueClientOptions>("Default", o => o.AddPolicy(new StorageRequestLog("queue"), Azure.Core.HttpPipelinePosition.PerRetry));
            services.Configure<TableClientOptions>("Default", o => o.AddPolicy(new StorageRequestLog("table"), Azure.Core.HttpPipelinePosition.PerRetry));
        });

        return new BenchSystem(sandbox, server, prefix, urls.App, urls.Sandbox, config, progress, gauge);
    }

    /// <summary>Connects <paramref name="userId"/> through the real consent flow; the Sandbox user is "{userId}-alpaca".</summary>
    public Task ConnectAsync(string userId) => SystemStart.ConnectAsync(Api, Browser, userId, "paper", ReturnOrigin + "/connected");

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
}
