using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Signals;

/// <summary>What became of a signal as a whole.</summary>
public static class SignalStatus
{
    /// <summary>Recorded and its fan-out queued.</summary>
    public const string Queued = "queued";
    /// <summary>Refused by a hook-level rule (paused, stale, rate) at intake or before the fan-out; nothing was placed.</summary>
    public const string Refused = "refused";
    /// <summary>Fanned out: every enabled subscriber has an outcome.</summary>
    public const string Completed = "completed";
    /// <summary>The fan-out kept failing and was poisoned.</summary>
    public const string Failed = "failed";
}

/// <summary>
/// Signal ids locate their row: "{hook id}~{key}", partition = hook id, key = inverted receive
/// ticks + random hex, so a hook's signals list newest first from one partition. The same partition
/// holds the dedupe rows ("dd~..."), each signal's outcomes ("out~{key}~{user}~{env}") and a
/// pending marker ("q~{key}") for each signal whose fan-out has not run, so a signal, its dedupe
/// claim, its marker and its events commit in one entity-group transaction, and its outcomes in
/// batches of up to 100 rows.
/// </summary>
public static class SignalIds
{
    public const string SignalRowPrefix = "sig~";
    public const string DedupeRowPrefix = "dd~";
    public const string OutcomeRowPrefix = "out~";
    /// <summary>A signal recorded as queued whose fan-out has not completed: <see cref="SignalRecovery"/> finds them by this key range.</summary>
    public const string PendingRowPrefix = "q~";

    public static string NewKey(DateTimeOffset receivedAt) =>
        (DateTimeOffset.MaxValue.UtcTicks - receivedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>The lowest key any signal received at or before <paramref name="at"/> can have.</summary>
    public static string KeyFloor(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    public static string Compose(string hookId, string key) => hookId + "~" + key;

    public static bool TryParse(string? signalId, out string hookId, out string key)
    {
        hookId = key = "";
        var at = signalId?.IndexOf('~') ?? -1;
        if (at <= 0)
            return false;
        hookId = signalId![..at];
        key = signalId[(at + 1)..];
        return SignalHookStore.LooksLikeId(hookId) && key.Length == 27 && key[..19].All(char.IsAsciiDigit) && key[19..].All(char.IsAsciiHexDigitLower);
    }

    public static string OutcomeRowKey(string key, string userId, string env) => $"{OutcomeRowPrefix}{key}~{userId}~{env}";
}

/// <summary>The recorded signals of every hook: intake writes them, the fan-out completes them, the signal log reads them.</summary>
public sealed class SignalLog(Tables tables, EventOutbox outbox, TimeProvider time)
{
    /// <summary>Outcomes per transaction: with one event each they stay within the 100-row limit.</summary>
    private const int OutcomesPerBatch = 50;

    public abstract record RecordOutcome(string SignalId);
    public sealed record Recorded(string SignalId, DateTimeOffset ReceivedAt) : RecordOutcome(SignalId);
    public sealed record Duplicate(string SignalId) : RecordOutcome(SignalId);

    /// <summary>A signal as intake hands it over, under the key intake chose (<see cref="SignalIds.NewKey"/> of <paramref name="ReceivedAt"/>).</summary>
    public sealed record NewSignal(string HookId, string Key, DateTimeOffset ReceivedAt, SignalAlert Alert, string RawBody, bool RawBodyTruncated, string? Source, string DedupeKey, bool DedupeById, string Status, string? Reason);

    private TableClient Table => tables.Get(Tables.Signals);

    /// <summary>
    /// Claims the dedupe key and records the signal with its events (and, when it is queued, its
    /// pending marker: a write-ahead in the same transaction, so a queued signal always has one and
    /// the ack pays no round trip for it), in one transaction. The claim
    /// is a conditional insert: of concurrent copies exactly one commits, the others find its claim
    /// and answer as duplicates. A claim by body expires after <paramref name="window"/> and is then
    /// taken over (ETag-guarded); a claim by the alert's id never expires.
    /// </summary>
    public async Task<RecordOutcome> RecordAsync(NewSignal signal, TimeSpan window, Func<string, DateTimeOffset, IEnumerable<DomainEvent>> events, CancellationToken ct)
    {
        var (key, now) = (signal.Key, signal.ReceivedAt);
        var signalId = SignalIds.Compose(signal.HookId, key);
        var entity = new SignalEntity
        {
            PartitionKey = signal.HookId,
            RowKey = SignalIds.SignalRowPrefix + key,
            Status = signal.Status,
            Reason = signal.Reason,
            Ticker = signal.Alert.Ticker,
            Action = signal.Alert.Action,
            AlertJson = JsonSerializer.Serialize(signal.Alert, JsonBody.Options),
            RawBody = signal.RawBody,
            RawBodyTruncated = signal.RawBodyTruncated,
            Source = signal.Source,
            DedupeKey = signal.DedupeKey,
            ReceivedAt = now,
        };
        var claim = new TableEntity(signal.HookId, SignalIds.DedupeRowPrefix + signal.DedupeKey) { ["SignalId"] = signalId, ["ReceivedAt"] = now, ["ById"] = signal.DedupeById };
        var claimAction = new TableTransactionAction(TableTransactionActionType.Add, claim);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                List<TableTransactionAction> rows = [claimAction, new TableTransactionAction(TableTransactionActionType.Add, entity)];
                if (signal.Status == SignalStatus.Queued)
                    rows.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(signal.HookId, SignalIds.PendingRowPrefix + key) { ["ReceivedAt"] = now }));
                await outbox.CommitAsync(Tables.Signals, rows, events(signalId, now), ct);
                return new Recorded(signalId, now);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404 && attempt < 3)
            {
                var held = await Table.GetEntityIfExistsAsync<TableEntity>(signal.HookId, claim.RowKey, cancellationToken: ct);
                if (!held.HasValue)
                {
                    claimAction = new TableTransactionAction(TableTransactionActionType.Add, claim); // the claim went meanwhile
                    continue;
                }
                var existing = held.Value!;
                if (existing.GetBoolean("ById") == true || existing.GetDateTimeOffset("ReceivedAt") > now - window)
                    return new Duplicate(existing.GetString("SignalId"));
                // An old claim by body: this is a new signal with the same text; take the claim over unless another copy just did.
                claimAction = new TableTransactionAction(TableTransactionActionType.UpdateReplace, claim, existing.ETag);
            }
        }
    }

    /// <summary>The pending markers of one hook's signals: one key-range query in the hook's partition.</summary>
    public async IAsyncEnumerable<TableEntity> PendingAsync(string hookId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableKeys.Between(hookId, SignalIds.PendingRowPrefix, SignalIds.PendingRowPrefix + "\u007f");
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey", "ReceivedAt"], cancellationToken: ct))
            yield return row;
    }

    /// <summary>Removes a signal's pending marker (its fan-out ran, or it ended otherwise); one not there is fine.</summary>
    public async Task RemovePendingAsync(string hookId, string key, CancellationToken ct)
    {
        try
        {
            await Table.DeleteEntityAsync(hookId, SignalIds.PendingRowPrefix + key, ETag.All, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>
    /// Notes on a still-queued signal that its fan-out is queued again (when and how often), if the row
    /// is as read; false if it changed meanwhile (the worker finished it, another run noted it first).
    /// </summary>
    public async Task<bool> TryMarkRequeuedAsync(SignalEntity signal, DateTimeOffset at, CancellationToken ct)
    {
        try
        {
            await Table.UpdateEntityAsync(new TableEntity(signal.PartitionKey, signal.RowKey)
            {
                [nameof(SignalEntity.RequeuedAt)] = at,
                [nameof(SignalEntity.Requeues)] = (signal.Requeues ?? 0) + 1,
            }, signal.ETag, TableUpdateMode.Merge, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Ends a still-queued signal as failed, if the row is as read (false: it changed meanwhile).</summary>
    public async Task<bool> TryFailAsync(SignalEntity signal, string reason, CancellationToken ct)
    {
        try
        {
            await Table.UpdateEntityAsync(new TableEntity(signal.PartitionKey, signal.RowKey)
            {
                ["Status"] = SignalStatus.Failed,
                ["Reason"] = reason,
                ["CompletedAt"] = time.GetUtcNow(),
            }, signal.ETag, TableUpdateMode.Merge, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>Signals of the hook received since <paramref name="since"/> that were not refused (the per-minute rule counts these).</summary>
    public async Task<int> CountAcceptedSinceAsync(string hookId, DateTimeOffset since, int stopAt, CancellationToken ct)
    {
        var from = SignalIds.SignalRowPrefix;
        var to = SignalIds.SignalRowPrefix + SignalIds.KeyFloor(since) + "~";
        var count = 0;
        await foreach (var row in Table.QueryAsync<TableEntity>(
            $"PartitionKey eq '{hookId}' and RowKey ge '{from}' and RowKey lt '{to}'", select: ["Status"], cancellationToken: ct))
        {
            if (row.GetString("Status") != SignalStatus.Refused && ++count >= stopAt)
                break;
        }
        return count;
    }

    public async Task<SignalEntity?> GetAsync(string hookId, string key, CancellationToken ct)
    {
        var found = await Table.GetEntityIfExistsAsync<SignalEntity>(hookId, SignalIds.SignalRowPrefix + key, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>A page of the hook's signals, newest first, after <paramref name="afterKey"/> (exclusive).</summary>
    public async Task<(IReadOnlyList<SignalEntity> Page, string? NextKey)> ListAsync(string hookId, int limit, string? afterKey, CancellationToken ct)
    {
        var from = SignalIds.SignalRowPrefix + (afterKey ?? "");
        var filter = $"PartitionKey eq '{hookId}' and RowKey {(afterKey is null ? "ge" : "gt")} '{from}' and RowKey lt 'sig\u007f'";
        var page = new List<SignalEntity>();
        await foreach (var row in Table.QueryAsync<SignalEntity>(filter, maxPerPage: limit + 1,
            select: [.. SignalEntity.SummaryColumns], cancellationToken: ct))
        {
            if (page.Count == limit)
                return (page, page[^1].Key);
            page.Add(row);
        }
        return (page, null);
    }

    public async Task<IReadOnlyList<OutcomeEntity>> OutcomesAsync(string hookId, string key, CancellationToken ct)
    {
        var from = $"{SignalIds.OutcomeRowPrefix}{key}~";
        var list = new List<OutcomeEntity>();
        await foreach (var row in Table.QueryAsync<OutcomeEntity>($"PartitionKey eq '{hookId}' and RowKey gt '{from}' and RowKey lt '{from}\u007f'", cancellationToken: ct))
            list.Add(row);
        return list;
    }

    /// <summary>
    /// Stores the outcomes in entity-group batches in the signal's partition, each with its events.
    /// Rows are upserts and the events' ids are derived from the signal and the subscriber, so a
    /// batch that a redelivery writes again either replaces its rows or (when its events are already
    /// there) was committed whole before and is left as it is.
    /// </summary>
    public async Task StoreOutcomesAsync(string hookId, string key, IReadOnlyList<SubscriberOutcome> outcomes, Func<SubscriberOutcome, DomainEvent?> eventFor, CancellationToken ct)
    {
        foreach (var batch in outcomes.Chunk(OutcomesPerBatch))
        {
            var rows = batch.Select(o => new TableTransactionAction(TableTransactionActionType.UpsertReplace, OutcomeEntity.From(hookId, key, o))).ToList();
            try
            {
                await outbox.CommitAsync(Tables.Signals, rows, batch.Select(eventFor).OfType<DomainEvent>(), ct);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // An event row of this batch exists: the batch was committed by an earlier delivery.
            }
        }
    }

    /// <summary>The signal refused as a whole after it was queued (hook paused or deleted meanwhile), with its event; a re-run finds the event there and changes nothing.</summary>
    public async Task CommitRefusalAsync(string hookId, string key, string reason, DomainEvent refused, CancellationToken ct)
    {
        var change = new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(hookId, SignalIds.SignalRowPrefix + key)
        {
            ["Status"] = SignalStatus.Refused,
            ["Reason"] = reason,
            ["CompletedAt"] = time.GetUtcNow(),
        }, ETag.All);
        try
        {
            await outbox.CommitAsync(Tables.Signals, [change], [refused], ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Its event row is there: an earlier delivery committed this refusal.
        }
    }

    /// <summary>
    /// Sets the signal's final status and counts (a merge: the body and the alert stay as they are)
    /// and removes its pending marker, in one transaction; a signal with no marker (it went already)
    /// gets the merge alone.
    /// </summary>
    public async Task CompleteAsync(string hookId, string key, string status, string? reason, int placed, int refused, int failed, CancellationToken ct)
    {
        var change = new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(hookId, SignalIds.SignalRowPrefix + key)
        {
            ["Status"] = status,
            ["Reason"] = reason,
            ["Placed"] = placed,
            ["Refused"] = refused,
            ["Failed"] = failed,
            ["CompletedAt"] = time.GetUtcNow(),
        }, ETag.All);
        try
        {
            await Table.SubmitTransactionAsync([change, new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(hookId, SignalIds.PendingRowPrefix + key), ETag.All)], ct);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            await Table.UpdateEntityAsync(change.Entity, ETag.All, TableUpdateMode.Merge, ct);
        }
    }
}

public sealed class SignalEntity : ITableEntity
{
    /// <summary>What the log's list shows (no raw body).</summary>
    public static readonly string[] SummaryColumns = ["PartitionKey", "RowKey", "Status", "Reason", "Ticker", "Action", "AlertJson", "Source", "ReceivedAt", "CompletedAt", "Placed", "Refused", "Failed"];

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Status { get; set; } = "";
    public string? Reason { get; set; }
    public string Ticker { get; set; } = "";
    public string Action { get; set; } = "";
    public string AlertJson { get; set; } = "{}";
    public string? RawBody { get; set; }
    public bool RawBodyTruncated { get; set; }
    public string? Source { get; set; }
    public string DedupeKey { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public int? Placed { get; set; }
    public int? Refused { get; set; }
    public int? Failed { get; set; }
    /// <summary>When <see cref="SignalRecovery"/> last queued its fan-out again, and how many times it has.</summary>
    public DateTimeOffset? RequeuedAt { get; set; }
    public int? Requeues { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember] public string Key => RowKey[SignalIds.SignalRowPrefix.Length..];
    [System.Runtime.Serialization.IgnoreDataMember] public string Id => SignalIds.Compose(PartitionKey, Key);
    [System.Runtime.Serialization.IgnoreDataMember] public SignalAlert Alert => JsonSerializer.Deserialize<SignalAlert>(AlertJson, JsonBody.Options)!;

    public RecordedSignal ToRecorded() => new() { Id = Id, HookId = PartitionKey, Alert = Alert, ReceivedAt = ReceivedAt };
}

public sealed class OutcomeEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string UserId { get; set; } = "";
    public string Env { get; set; } = "";
    public string Status { get; set; } = "";
    /// <summary>Comma-separated, in order.</summary>
    public string TradeIds { get; set; } = "";
    public string CanceledOrderIds { get; set; } = "";
    public string? Reason { get; set; }

    public static OutcomeEntity From(string hookId, string key, SubscriberOutcome o) => new()
    {
        PartitionKey = hookId,
        RowKey = SignalIds.OutcomeRowKey(key, o.UserId, o.Env),
        UserId = o.UserId,
        Env = o.Env,
        Status = o.Status,
        TradeIds = string.Join(',', o.TradeIds),
        CanceledOrderIds = string.Join(',', o.CanceledOrderIds),
        Reason = o.Reason is { Length: > 2000 } reason ? reason[..2000] : o.Reason,
    };
}
