using AlpacaConnect.Core;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
builder.Services.AddAlpacaConnectCore(builder.Configuration);
builder.Services.AddAlpacaConnectTelemetry(builder.Configuration);
await builder.Build().RunAsync();
