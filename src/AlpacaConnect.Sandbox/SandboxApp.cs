using System.Text.Json;
using AlpacaConnect.Sandbox.Admin;
using AlpacaConnect.Sandbox.OAuth;
using AlpacaConnect.Sandbox.Trading;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlpacaConnect.Sandbox;

/// <summary>
/// Builds the Sandbox: one server playing app.alpaca.markets (consent), api.alpaca.markets (token)
/// and both trading hosts (/paper/v2, /live/v2). Used by Program and by tests.
/// </summary>
public static class SandboxApp
{
    public const string DefaultUrl = "http://localhost:7072";

    /// <param name="args">Command line; <c>--urls</c> picks the address (default <see cref="DefaultUrl"/>).</param>
    /// <param name="configure">Runs after configuration binding, so tests can override any option.</param>
    /// <param name="time">Clock for codes, orders and prices; tests pass a FakeTimeProvider.</param>
    public static WebApplication Build(string[] args, Action<SandboxOptions>? configure = null, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(SandboxApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddOptions<SandboxOptions>().Bind(builder.Configuration.GetSection(SandboxOptions.SectionName));
        if (configure is not null)
        {
            builder.Services.PostConfigure(configure);
        }

        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton<OAuthStore>();
        builder.Services.AddSingleton<FaultSwitches>();
        builder.Services.AddSingleton<RateLimiter>();
        builder.Services.AddSingleton<AssetCatalog>();
        builder.Services.AddSingleton<MarketSwitch>();
        builder.Services.AddSingleton<MarketClock>();
        builder.Services.AddSingleton<MarketPrices>();
        builder.Services.AddSingleton<AccountBook>();
        builder.Services.AddSingleton<Broker>();
        builder.Services.AddSingleton<Portfolio>();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
        });

        var app = builder.Build();
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapAuthorize();
        app.MapToken();
        app.MapTrading();
        app.MapAdmin();
        app.MapMarketAdmin();
        return app;
    }

    /// <summary>The addresses Kestrel actually bound (resolves port 0) once the app has started.</summary>
    public static IReadOnlyList<Uri> BoundAddresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)).ToList()
        ?? [];
}
