using System.Diagnostics.CodeAnalysis;
using System.Text;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// The app's queues and their poison twins. Messages are written base64 (set on the client), the
/// encoding queue tools and the Functions trigger default expect; every handler, on both hosts,
/// takes them as stored and decodes them itself (<see cref="AsText"/>).
/// </summary>
public sealed class Queues(QueueServiceClient service, IAzureClientFactory<QueueServiceClient> clients, IOptions<StorageOptions> options)
{
    public const string TradeExecutions = "trade-executions";
    public const string WebhookDeliveries = "webhook-deliveries";
    /// <summary>One message per recorded signal, handled by the signal fan-out (Signals/Work).</summary>
    public const string SignalFanOuts = "signal-fanouts";
    public const string PoisonSuffix = "-poison";

    /// <summary>The client name of the service client that does not decode (see <see cref="Undecoded"/>).</summary>
    public const string UndecodedClient = "undecoded";

    public static readonly IReadOnlyList<string> All = [TradeExecutions, WebhookDeliveries, SignalFanOuts];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string _prefix = options.Value.Prefix;

    public QueueClient Get(string name) => service.GetQueueClient(_prefix + name);

    public QueueClient Poison(string name) => service.GetQueueClient(_prefix + name + PoisonSuffix);

    /// <summary>
    /// The same queue, handing out each message's text as stored instead of decoding it: the SDK
    /// fails a whole receive when one message in it is not base64, so a receiver that must survive a
    /// foreign message (the Server's queue runner) takes them raw and decodes each with <see cref="TryDecode"/>.
    /// </summary>
    public QueueClient Undecoded(QueueClient queue) => Undecoded(queue.Name);

    /// <summary>A queue by its full name (no prefix added), sending and receiving text as stored: what a Functions trigger binds.</summary>
    public QueueClient Undecoded(string queueName) => clients.CreateClient(UndecodedClient).GetQueueClient(queueName);

    /// <summary>Decodes a stored message (base64 of UTF-8); false when it is not that.</summary>
    public static bool TryDecode(string stored, [NotNullWhen(true)] out string? text)
    {
        text = null;
        var bytes = new byte[stored.Length];
        if (!Convert.TryFromBase64String(stored, bytes, out var length))
            return false;
        try
        {
            text = StrictUtf8.GetString(bytes, 0, length);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// What a handler gets from a message as stored (the Server's runner, and the Functions triggers,
    /// which host.json's messageEncoding "none" hands the stored text): the decoded text, or, for a
    /// message something else wrote without base64, the stored text itself. That one is unreadable
    /// either way and ends as a dead letter, instead of the Functions host failing to decode it where
    /// the app never sees it.
    /// </summary>
    public static string AsText(string stored) => TryDecode(stored, out var text) ? text : stored;

    public async Task CreateAllAsync(CancellationToken ct)
    {
        foreach (var name in All)
        {
            await Get(name).CreateIfNotExistsAsync(cancellationToken: ct);
            await Poison(name).CreateIfNotExistsAsync(cancellationToken: ct);
        }
    }
}
