using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// Under the Functions host a message that is not base64 never reaches the app: the host cannot
/// decode it, poisons it, cannot decode it on the poison queue either and moves it on to
/// "&lt;queue&gt;-poison-poison", which nothing reads. This sweep (on the outbox sweep's schedule)
/// keeps each such message in the dead-letter table and logs its id, so an operator finds it where
/// every other unreadable message is. The Server's runner decodes messages itself and never
/// makes these queues.
/// </summary>
public sealed partial class UndecodableMessages(Queues queues, DeadLetters deadLetters, ILogger<UndecodableMessages> logger)
{
    public async Task SweepAsync(CancellationToken ct)
    {
        foreach (var name in Queues.All)
        {
            var queue = queues.Undecoded(queues.Get(name + Queues.PoisonSuffix + Queues.PoisonSuffix));
            if (!await queue.ExistsAsync(ct))
                continue;
            while (true)
            {
                var batch = (await queue.ReceiveMessagesAsync(maxMessages: 32, cancellationToken: ct)).Value;
                if (batch.Length == 0)
                    break;
                foreach (var message in batch)
                {
                    var text = message.MessageText;
                    var kept = await deadLetters.KeepAsync(queue.Name, message.MessageId, text,
                        "The Functions host could not decode it (not base64) on its queue or its poison queue.", ct);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
                    LogKept(message.MessageId, name, kept.Table, DeadLetters.Preview(text));
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} was not base64, so the Functions host could not hand it to the app; kept in table {Table}: {Preview}")]
    private partial void LogKept(string messageId, string queue, string table, string preview);
}
