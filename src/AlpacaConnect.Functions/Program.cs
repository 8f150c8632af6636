using AlpacaConnect.Core;
using AlpacaConnect.Core.Telemetry;
using AlpacaConnect.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Trace;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LogDefaults.Levels });
// What the worker logs before the host's channel is up (the start-up report) never reaches the
// host's logs; the host does keep the worker's console output, so those lines go there as well.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.None)
    .AddFilter<ConsoleLoggerProvider>((category, _) => category == StartupReport.Category);
builder.ConfigureFunctionsWebApplication();
builder.UseWhen<QueueAgeMiddleware>(QueueAgeMiddleware.Applies);
builder.UseWhen<QueuePoisonMiddleware>(QueuePoisonMiddleware.Applies);
builder.Services.AddAlpacaConnectCore(builder.Configuration);
// One telemetry pipeline, OpenTelemetry (no Application Insights SDK beside it). The worker exports
// its traces and metrics (Core/Telemetry), the worker's invocation spans among them. Logs take one way
// out: the worker pipes them to the host, which writes them to its own log (what `func start` shows
// and the tests read, "Function.X.User") and, with telemetryMode "OpenTelemetry" in host.json, exports
// them through its OpenTelemetry pipeline. Not Microsoft.Azure.Functions.Worker.OpenTelemetry's
// UseFunctionsWorkerDefaults: with it the worker stops piping its logs to the host (tried: the app's
// lines left the host's log, even with its WorkerOpenTelemetryEnabled capability taken out again).
builder.Services.AddAlpacaConnectTelemetry(builder.Configuration, tracing => tracing.AddSource(WorkerInvocationSource), exportLogs: false);
await builder.Build().RunAsync();

internal partial class Program
{
    /// <summary>The isolated worker's own ActivitySource: one span per invocation, the parent of the app's.</summary>
    private const string WorkerInvocationSource = "Microsoft.Azure.Functions.Worker";
}
