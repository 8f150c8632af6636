using AlpacaConnect.Core.Storage;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.Http;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AlpacaConnect.Core.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// OpenTelemetry traces and metrics (the app's own, outgoing HTTP, storage round trips), exported
    /// to Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set, over OTLP when
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set, and to the console when Telemetry:Console is true; logs to
    /// Azure Monitor and OTLP as well (the console has them already). The one pipeline of both hosts.
    /// </summary>
    /// <param name="exportLogs">False where something else exports the app's logs (the Functions host, which the worker pipes them to).</param>
    public static IServiceCollection AddAlpacaConnectTelemetry(this IServiceCollection services, IConfiguration configuration,
        Action<TracerProviderBuilder>? tracing = null, Action<MeterProviderBuilder>? metrics = null, bool exportLogs = true)
    {
        var azureMonitor = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var otlp = !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var console = configuration.GetValue<bool>("Telemetry:Console");

        // Storage calls are counted as a metric (StorageMetrics); traces keep to the calls that matter
        // (Alpaca, webhook receivers). A storage call is one to the account's own endpoints, wherever it is.
        services.TryAddSingleton<StorageEndpoints>();
        services.AddOptions<HttpClientTraceInstrumentationOptions>().Configure<StorageEndpoints>((o, storage) =>
            o.FilterHttpRequestMessage = m => m.RequestUri is not { } uri || !storage.Serves(uri));

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] ?? "alpaca-connect-functions"))
            .WithTracing(t =>
            {
                t.AddSource(AlpacaConnectTelemetry.Name).AddHttpClientInstrumentation();
                tracing?.Invoke(t);
                if (!string.IsNullOrEmpty(azureMonitor))
                    t.AddAzureMonitorTraceExporter(o => o.ConnectionString = azureMonitor);
                if (otlp)
                    t.AddOtlpExporter();
                if (console)
                    t.AddConsoleExporter();
            })
            .WithMetrics(m =>
            {
                m.AddMeter(AlpacaConnectTelemetry.Name, StorageMetrics.MeterName).AddHttpClientInstrumentation();
                metrics?.Invoke(m);
                if (!string.IsNullOrEmpty(azureMonitor))
                    m.AddAzureMonitorMetricExporter(o => o.ConnectionString = azureMonitor);
                if (otlp)
                    m.AddOtlpExporter();
                if (console)
                    m.AddConsoleExporter();
            });
        if (exportLogs && (!string.IsNullOrEmpty(azureMonitor) || otlp))
            telemetry.WithLogging(l =>
            {
                if (!string.IsNullOrEmpty(azureMonitor))
                    l.AddAzureMonitorLogExporter(o => o.ConnectionString = azureMonitor);
                if (otlp)
                    l.AddOtlpExporter();
            }, o => o.IncludeFormattedMessage = true);
        return services;
    }
}
