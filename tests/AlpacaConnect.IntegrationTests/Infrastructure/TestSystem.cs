using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Sandbox;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>
/// The whole system for one test class: the Sandbox and the app on real loopback ports. The app is the
/// Server (storage in the shared Azurite under a fresh prefix) or the Functions app under a real
/// Functions host (<see cref="FunctionsApp"/>, with an Azurite of its own). Nothing is faked except
/// what a test swaps in on purpose, and that only on the Server, which runs in this process.
/// </summary>
public sealed class TestSystem : IAsyncDisposable
{
    public const string FunctionKey = "test-function-key-0123456789";
    public const string ClientSecret = SystemStart.SandboxClientSecret;
    public const string LinkSigningSecret = "test-link-signing-secret";
    public const string ReturnOrigin = "https://app.example.com";

    private readonly WebApplication _sandbox;
    private WebApplication? _server;
    private readonly FunctionsApp? _functions;
    private readonly ServiceProvider? _probe;
    private readonly Dictionary<string, string?> _config;

    public HostKind Host => _functions is null ? HostKind.Server : HostKind.Functions;
    public string Prefix { get; }

    /// <summary>The app's origin: the Server's, or the Functions host's.</summary>
    public Uri ServerUrl { get; }
    public Uri SandboxUrl { get; }
    public string TokenKey { get; }
    public CapturedLogs Logs { get; }

    /// <summary>Core's services over the app's storage: the Server's own, or (Functions) this process's view of the host's Azurite.</summary>
    public IServiceProvider Services => (IServiceProvider?)_server?.Services ?? _probe!;

    /// <summary>The running Functions app (its admin API, its own Azurite); null on the Server.</summary>
    public FunctionsApp? Functions => _functions;

    /// <summary>Authenticated API client (x-functions-key).</summary>
    public HttpClient Api { get; }

    /// <summary>A browser: no key, follows no redirects, so each hop can be checked.</summary>
    public HttpClient Browser { get; }

    private TestSystem(WebApplication sandbox, WebApplication? server, FunctionsApp? functions, Dictionary<string, string?> config, string prefix, Uri serverUrl, Uri sandboxUrl, string tokenKey, CapturedLogs logs)
    {
        _config = config;
        Logs = logs;
        _sandbox = sandbox;
        _server = server;
        _functions = functions;
        if (functions is not null)
        {
            var probe = new ServiceCollection().AddLogging();
            var probeConfig = new Dictionary<string, string?>(config) { ["AzureWebJobsStorage"] = functions.Storage.ConnectionString, ["Storage:Prefix"] = "" };
            probe.AddAlpacaConnectCore(new ConfigurationBuilder().AddInMemoryCollection(probeConfig).Build());
            _probe = probe.BuildServiceProvider();
        }
        Prefix = prefix;
        ServerUrl = serverUrl;
        SandboxUrl = sandboxUrl;
        TokenKey = tokenKey;
        Api = new HttpClient { BaseAddress = serverUrl };
        Api.DefaultRequestHeaders.Add("x-functions-key", FunctionKey);
        Browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
    }

    public static async Task<TestSystem> StartAsync(
        Action<IServiceCollection>? overrideServices = null,
        IDictionary<string, string?>? settings = null,
        Action<SandboxOptions>? sandboxOptions = null,
        Func<Uri, IDictionary<string, string?>>? serverSettings = null,
        HostKind host = HostKind.Server)
    {
        HostSkip.SkipUnlessAvailable(host);
        if (host == HostKind.Functions && overrideServices is not null)
            throw new ArgumentException("Service overrides reach only the Server, which runs in this process.", nameof(overrideServices));
        // Ports are chosen before binding (the Sandbox must know the callback URL), so another
        // process can take one in between; pick new ones and try again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(overrideServices, settings, sandboxOptions, serverSettings, host);
            }
            catch (IOException ex) when (attempt < 4 && ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
            // A Functions host that did not answer health in time gets one more start (its own log
            // is in the exception when the second start fails too).
            catch (FunctionsHostNotHealthyException) when (attempt < 2)
            {
            }
        }
    }

    private static async Task<TestSystem> StartOnceAsync(
        Action<IServiceCollection>? overrideServices = null,
        IDictionary<string, string?>? settings = null,
        Action<SandboxOptions>? sandboxOptions = null,
        Func<Uri, IDictionary<string, string?>>? serverSettings = null,
        HostKind host = HostKind.Server)
    {
        // The Functions triggers bind the plain queue names; that app has an Azurite of its own instead of a prefix.
        var prefix = host == HostKind.Server ? Azurite.NewPrefix("t", 12) : "";
        var urls = SystemUrls.Next();
        var (serverUrl, sandboxUrl) = (urls.App, urls.Sandbox);
        var tokenKey = SystemStart.NewKey();

        var sandbox = await SystemStart.StartSandboxAsync(urls, sandboxOptions);

        var config = SystemStart.AppSettings(urls, Azurite.ConnectionString, prefix, FunctionKey, ReturnOrigin, tokenKey, LinkSigningSecret, logLevel: "Information");
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            // Tests run the sync themselves (the schedule above never fires); the runner's own schedule is exercised where a test says so.
            ["Trading:RetryBaseDelay"] = "00:00:00.200",
            ["Trading:MaxRetryDelay"] = "00:00:01",
            ["Trading:MaxRateLimitWait"] = "00:00:02",
            ["Server:Queues:VisibilityTimeout"] = "00:00:05",
            // host.json overrides, as Azure app settings give them: both hosts read these keys (Core/Storage/QueueSettings).
            [QueueSettings.Section + ":visibilityTimeout"] = "00:00:01",
            [QueueSettings.Section + ":maxPollingInterval"] = "00:00:00.200",
            // The receivers in tests listen on loopback; the refusal of such targets has its own test.
            ["Webhooks:AllowPrivateTargets"] = "true",
            ["Webhooks:RetrySchedule"] = "00:00:00,00:00:00.300,00:00:00.300,00:00:00.300",
            ["Webhooks:SweepSchedule"] = "0 0 0 1 1 *",
        })
            config[key] = value;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            config[key] = value;
        // Settings that need the Server's own URL (picked here), e.g. its origin as an allowed return origin.
        foreach (var (key, value) in serverSettings?.Invoke(serverUrl) ?? new Dictionary<string, string?>())
            config[key] = value;

        var logs = new CapturedLogs();
        try
        {
            if (host == HostKind.Functions)
            {
                var functions = await FunctionsApp.StartAsync(serverUrl, config, new Dictionary<string, string>(), FunctionKey, logs);
                return new TestSystem(sandbox, null, functions, config, prefix, serverUrl, sandboxUrl, tokenKey, logs);
            }
            var server = await StartServerAsync(serverUrl, config, logs, overrideServices);
            return new TestSystem(sandbox, server, null, config, prefix, serverUrl, sandboxUrl, tokenKey, logs);
        }
        catch
        {
            await sandbox.StopAsync();
            await sandbox.DisposeAsync();
            throw;
        }
    }

    private static Task<WebApplication> StartServerAsync(Uri url, Dictionary<string, string?> config, CapturedLogs logs, Action<IServiceCollection>? overrideServices) =>
        SystemStart.StartServerAsync(url, config, services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            overrideServices?.Invoke(services);
        });

    /// <summary>Stops the Server abruptly (as a crash would, mid-work) and starts a new one on the same storage and Sandbox.</summary>
    public async Task RestartServerAsync(Action<IServiceCollection>? overrideServices = null)
    {
        if (_server is null)
            throw new NotSupportedException("Restarts with service overrides are a Server test.");
        await _server.StopAsync(new CancellationToken(canceled: true));
        await _server.DisposeAsync();
        _server = await StartServerAsync(ServerUrl, _config, Logs, overrideServices);
    }

    /// <summary>The status sync now: in-process on the Server (what its timer runner calls), through the host's admin API on Functions.</summary>
    public Task SyncTradeStatusAsync() =>
        _functions is not null
            ? _functions.RunFunctionAsync("SyncTradeStatus")
            : Services.GetRequiredService<TradeStatusSync>().RunAsync(default);

    /// <summary>The signal recovery timer now: in-process on the Server, through the host's admin API on Functions.</summary>
    public Task RecoverSignalsAsync() =>
        _functions is not null
            ? _functions.RunFunctionAsync("RecoverSignals")
            : Services.GetRequiredService<AlpacaConnect.Core.Signals.SignalRecovery>().RunAsync(default);

    public TableClient Table(string name) => Services.GetRequiredService<Tables>().Get(name);

    public async Task<int> CountRowsAsync(string table)
    {
        var count = 0;
        await foreach (var _ in Table(table).QueryAsync<TableEntity>(select: ["PartitionKey"]))
            count++;
        return count;
    }

    /// <summary>POST /api/connect-links and return the authorize URL it answers.</summary>
    public async Task<Uri> CreateLinkAsync(string userId, string env = "paper", string returnUrl = ReturnOrigin + "/connected")
    {
        var response = await Api.PostAsJsonAsync("/api/connect-links", new { user_id = userId, env, return_url = returnUrl });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new Uri(doc.RootElement.GetProperty("url").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Browser.Dispose();
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }
        if (_functions is not null)
            await _functions.DisposeAsync();
        if (_probe is not null)
            await _probe.DisposeAsync();
        await _sandbox.StopAsync();
        await _sandbox.DisposeAsync();
        if (Host == HostKind.Server)
            await Azurite.DeletePrefixedAsync(Prefix);
    }
}
