using AlpacaConnect.Core;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LogDefaults.Levels });
// What the worker logs before the host's channel is up (the start-up report) never reaches the
// host's logs; the host does keep the worker's console output, so those lines go there as well.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.None)
    .AddFilter<ConsoleLoggerProvider>((category, _) => category == StartupReport.Category);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
builder.Services.AddAlpacaConnectCore(builder.Configuration);
builder.Services.AddAlpacaConnectTelemetry(builder.Configuration);
await builder.Build().RunAsync();
