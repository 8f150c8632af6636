using AlpacaConnect.Core.Storage;

namespace AlpacaConnect.Core.Signals;

/// <summary>One message per recorded signal: the fan-out worker reads everything else from storage.</summary>
public sealed record SignalFanOutMessage(int V, string SignalId)
{
    public const int Version = 1;

    public static SignalFanOutMessage For(string signalId) => new(Version, signalId);

    public string Serialize() => QueueMessageJson.Serialize(this);

    /// <summary>Null for anything that is not a version-1 fan-out message of a well-formed signal id.</summary>
    public static SignalFanOutMessage? TryRead(string text) =>
        QueueMessageJson.Deserialize<SignalFanOutMessage>(text, m => m.V == Version && SignalIds.TryParse(m.SignalId, out _, out _));
}

public sealed class SignalFanOutQueue(Queues queues)
{
    public async Task EnqueueAsync(SignalFanOutMessage message, CancellationToken ct) =>
        await queues.Get(Queues.SignalFanOuts).SendMessageAsync(message.Serialize(), cancellationToken: ct);
}
