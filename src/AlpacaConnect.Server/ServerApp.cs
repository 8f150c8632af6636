using AlpacaConnect.Core;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Telemetry;
using AlpacaConnect.Server.Background;
using Microsoft.Extensions.Configuration.Memory;
using OpenTelemetry.Trace;

namespace AlpacaConnect.Server;

/// <summary>
/// The self-hosted app: the Functions app's routes under /api on http://localhost:7071 (the port
/// `func start` uses), for machines without Azure Functions Core Tools.
/// </summary>
public static class ServerApp
{
    public const string DefaultUrl = "http://localhost:7071";

    /// <summary>Where the Server differs from the Functions host by default; any configuration source overrides these.</summary>
    private static readonly Dictionary<string, string?> Defaults = new()
    {
        // A long-lived process can run a trade the moment it is accepted (Core/Trading/TradeDispatch).
        ["Trading:InlineExecutions"] = "256",
    };

    /// <param name="configure">Extra configuration applied last (tests use it to point at their Azurite prefix and Sandbox).</param>
    /// <param name="overrideServices">Runs after the app's registrations (tests swap the clock or the Key Vault client).</param>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configure = null, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults.Concat(LogDefaults.Levels) });
        configure?.Invoke(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(DefaultUrl);

        builder.Services.AddAlpacaConnectCore(builder.Configuration);
        builder.Services.AddBackgroundWork(builder.Configuration);
        builder.Services.AddAlpacaConnectTelemetry(builder.Configuration, tracing => tracing.AddAspNetCoreInstrumentation());
        builder.Services.AddOptions<FunctionKeyOptions>().Bind(builder.Configuration.GetSection(FunctionKeyOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        // The request log, without query strings (the OAuth callback's holds the code and the state);
        // ASP.NET Core's own, which writes the whole URL, is held at Warning by Core.
        builder.Services.AddHttpLogging(o =>
        {
            o.LoggingFields = RequestLogging.Fields;
            o.CombineLogs = true;
        });
        builder.Services.AddHttpLoggingInterceptor<SecretPathLogging>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
            c.ProblemDetails.Type ??= Problems.TypePrefix + "http-" + c.ProblemDetails.Status);
        overrideServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseHttpLogging();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapDemo();
        app.MapApi();
        return app;
    }
}
