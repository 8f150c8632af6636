using Azure.Data.Tables;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// Queue messages no handler can read, kept as evidence instead of being deleted with nothing left:
/// one row per message in the deadletters table, partition = the queue it was taken from (e.g.
/// "trade-executions-poison"), row = its message id, with its text (the first
/// <see cref="MaxTextChars"/> characters), its full length, why it was kept and when.
/// </summary>
public sealed class DeadLetters(Tables tables, TimeProvider time)
{
    /// <summary>Enough for any message this app writes (they are a few hundred characters), well under a table property's 64 KiB.</summary>
    public const int MaxTextChars = 16_000;

    public sealed record Kept(string Table, string Queue, string MessageId);

    /// <summary>Keeps the message; writing it again (a redelivery of the same message) replaces the row, so it is kept once.</summary>
    public async Task<Kept> KeepAsync(string queue, string messageId, string text, string reason, CancellationToken ct)
    {
        var table = tables.Get(Tables.DeadLetters);
        await table.UpsertEntityAsync(new TableEntity(queue, messageId)
        {
            ["Text"] = text.Length <= MaxTextChars ? text : text[..MaxTextChars],
            ["TextLength"] = text.Length,
            ["Reason"] = reason,
            ["DeadLetteredAt"] = time.GetUtcNow(),
        }, TableUpdateMode.Replace, ct);
        return new Kept(table.Name, queue, messageId);
    }

    /// <summary>A message's text for a log line: its start only (a message could hold what a log must not).</summary>
    public static string Preview(string text) => text.Length <= 64 ? text : text[..64] + $"... ({text.Length} chars)";
}
