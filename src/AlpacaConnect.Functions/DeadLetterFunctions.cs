using AlpacaConnect.Core.Storage;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Dead letters: only under the Functions host do undecodable messages end up where nothing reads them (Core/Storage/UndecodableMessages).</summary>
public sealed class DeadLetterFunctions(UndecodableMessages undecodable)
{
    [Function("KeepUndecodableMessages")]
    public Task KeepUndecodable([TimerTrigger("%Webhooks:SweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        undecodable.SweepAsync(cancellationToken);
}
