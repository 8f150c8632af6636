using AlpacaConnect.Core.Storage;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Retention: deletes what has outlived its setting (expired OAuth states and links, old dispatched outbox rows and delivery logs); never trades.</summary>
public sealed class RetentionFunction(RetentionSweep retention)
{
    [Function("RunRetention")]
    public Task Run([TimerTrigger("%Retention:Schedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        retention.RunAsync(cancellationToken);
}
