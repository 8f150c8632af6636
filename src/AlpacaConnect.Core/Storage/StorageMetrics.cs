using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// Counts every storage round trip (one HTTP request to Tables or Queues, retries included) as the
/// metric alpaca_connect.storage.round_trips, tagged by service. Round trips are the budget that
/// bounds throughput, so they are measured, not estimated.
/// </summary>
public sealed class StorageMetrics : HttpPipelinePolicy
{
    public const string MeterName = "AlpacaConnect.Storage";
    public const string RoundTrips = "alpaca_connect.storage.round_trips";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Counter = Meter.CreateCounter<long>(RoundTrips, description: "HTTP requests sent to Azure Storage");

    private readonly KeyValuePair<string, object?> _service;

    public StorageMetrics(string service) => _service = new("service", service);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Count(HttpMessage message) =>
        Counter.Add(1, _service, new KeyValuePair<string, object?>("method", message.Request.Method.Method));
}
