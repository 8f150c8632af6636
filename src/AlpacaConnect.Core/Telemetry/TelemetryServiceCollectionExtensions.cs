using AlpacaConnect.Core.Storage;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AlpacaConnect.Core.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// OpenTelemetry traces and metrics (the app's own, outgoing HTTP, storage round trips), exported
    /// to Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set, over OTLP when
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set, and to the console when Telemetry:Console is true.
    /// </summary>
    public static IServiceCollection AddAlpacaConnectTelemetry(this IServiceCollection services, IConfiguration configuration,
        Action<TracerProviderBuilder>? tracing = null, Action<MeterProviderBuilder>? metrics = null)
    {
        var azureMonitor = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var otlp = !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var console = configuration.GetValue<bool>("Telemetry:Console");

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] ?? "alpaca-connect-functions"))
            .WithTracing(t =>
            {
                t.AddSource(AlpacaConnectTelemetry.Name).AddHttpClientInstrumentation(o =>
                    // Storage calls are counted as a metric; traces keep to the calls that matter (Alpaca, receivers).
                    o.FilterHttpRequestMessage = m => m.RequestUri?.Port is not (10000 or 10001 or 10002));
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
        return services;
    }
}
