using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Sandbox;
using AlpacaConnect.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.TestSupport;

/// <summary>Where one system listens: the app (the Server or a Functions host) and the Sandbox, on loopback ports picked up front.</summary>
public sealed record SystemUrls(Uri App, Uri Sandbox)
{
    /// <summary>Ports are picked before anything binds (the Sandbox must know the app's callback), so another process may take one meanwhile.</summary>
    public static SystemUrls Next() => new(new Uri($"http://127.0.0.1:{FreePort.Next()}"), new Uri($"http://127.0.0.1:{FreePort.Next()}"));

    /// <summary>The app's OAuth callback, where the Sandbox's consent page sends the browser.</summary>
    public Uri Callback => new(App, "/api/oauth/callback");
}

/// <summary>
/// The start-up the integration tests' TestSystem and the benchmark share: the Sandbox and the app on
/// real loopback ports, the settings that wire them together, and a user connected through the real
/// consent flow, as a browser walks it.
/// </summary>
public static class SystemStart
{
    /// <summary>The Sandbox's OAuth client secret unless a test sets another.</summary>
    public const string SandboxClientSecret = "sandbox-client-secret";

    /// <summary>The Sandbox for <see cref="SystemUrls.Sandbox"/>, not yet started, sending consent back to the app's callback; <paramref name="configure"/> may change the rest.</summary>
    public static WebApplication BuildSandbox(SystemUrls urls, Action<SandboxOptions>? configure = null, params string[] args) =>
        SandboxApp.Build(["--urls", urls.Sandbox.ToString(), .. args], o =>
        {
            o.RedirectUris = urls.Callback.ToString();
            configure?.Invoke(o);
        });

    /// <summary><see cref="BuildSandbox"/>, started.</summary>
    public static async Task<WebApplication> StartSandboxAsync(SystemUrls urls, Action<SandboxOptions>? configure = null, params string[] args)
    {
        var sandbox = BuildSandbox(urls, configure, args);
        await sandbox.StartAsync();
        return sandbox;
    }

    /// <summary>
    /// The app's settings that every system needs: its storage (and prefix), the Sandbox as Alpaca,
    /// its own public URL and allowed return origin, its key, its secrets in configuration (no Key
    /// Vault), and a status sync timer that never fires (runs are explicit).
    /// </summary>
    public static Dictionary<string, string?> AppSettings(SystemUrls urls, string storage, string prefix, string functionKey, string returnOrigin,
        string tokenEncryptionKey, string linkSigningSecret, string logLevel) => new()
        {
            ["AzureWebJobsStorage"] = storage,
            ["Storage:Prefix"] = prefix,
            ["Alpaca:SandboxUrl"] = urls.Sandbox.ToString(),
            ["Connect:PublicBaseUrl"] = urls.App.ToString(),
            ["Connect:AllowedReturnOrigins"] = returnOrigin,
            ["Server:FunctionKey"] = functionKey,
            ["Secrets:AlpacaClientSecret"] = SandboxClientSecret,
            ["Secrets:TokenEncryptionKey"] = tokenEncryptionKey,
            ["Secrets:LinkSigningSecret"] = linkSigningSecret,
            ["Logging:LogLevel:Default"] = logLevel,
            // Yearly: the timers never fire during a run; tests and the benchmark run them themselves.
            ["Trading:StatusSyncSchedule"] = "0 0 0 1 1 *",
            ["Retention:Schedule"] = "0 0 0 1 1 *",
            ["Webhooks:SweepSchedule"] = "0 0 0 1 1 *",
            ["Schedules:TimerSchedule"] = "0 0 0 1 1 *",
            ["Signals:RecoverySchedule"] = "0 0 0 1 1 *",
            // Tests run the recovery timer themselves, on signals they left queued on purpose.
            ["Signals:RecoverAfter"] = "00:00:02",
        };

    /// <summary>A fresh 256-bit key, base64 (the token encryption key, a link-signing secret).</summary>
    public static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The Server at <paramref name="url"/> on <paramref name="settings"/>; <paramref name="services"/> adds or swaps services (in this process).</summary>
    public static async Task<WebApplication> StartServerAsync(Uri url, IEnumerable<KeyValuePair<string, string?>> settings, Action<IServiceCollection>? services = null)
    {
        var server = ServerApp.Build(["--urls", url.ToString()], c => c.AddInMemoryCollection(settings), services);
        await server.StartAsync();
        return server;
    }

    /// <summary>
    /// Connects <paramref name="userId"/> as a browser does: the app's connect link, authorize, the
    /// Sandbox's consent (Sandbox user "{userId}-alpaca"), the callback. Throws unless the app ends
    /// on the return URL with <c>alpaca_connect=connected</c>.
    /// </summary>
    /// <param name="api">The app's API client, with its key.</param>
    /// <param name="browser">A browser: no key, follows no redirects.</param>
    public static async Task ConnectAsync(HttpClient api, HttpClient browser, string userId, string env, string returnUrl)
    {
        using var created = await api.PostAsJsonAsync("/api/connect-links", new { user_id = userId, env, return_url = returnUrl });
        var body = await created.Content.ReadAsStringAsync();
        if (created.StatusCode != System.Net.HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/connect-links: {(int)created.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var link = new Uri(doc.RootElement.GetProperty("url").GetString()!);

        using var authorize = await browser.GetAsync(link);
        var consentUrl = authorize.Headers.Location ?? throw new InvalidOperationException($"Authorize did not redirect: {(int)authorize.StatusCode}");
        using var consent = await ConsentPage.SubmitAsync(browser, consentUrl, "allow", userId + "-alpaca");
        var callbackUrl = consent.Headers.Location ?? throw new InvalidOperationException($"Consent did not redirect: {(int)consent.StatusCode}");
        using var done = await browser.GetAsync(callbackUrl);
        if (done.Headers.Location?.ToString().Contains("alpaca_connect=connected", StringComparison.Ordinal) != true)
            throw new InvalidOperationException($"Connecting {userId} did not complete: {(int)done.StatusCode} {done.Headers.Location}");
    }
}
