using System.Text.Json;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Signals;

/// <summary>Who follows a hook: partition = hook id, row = "{user id}~{env}", so the fan-out reads one partition.</summary>
public sealed class SignalSubscriberStore(Tables tables, TimeProvider time)
{
    private TableClient Table => tables.Get(Tables.SignalSubscribers);

    private static string RowKey(string userId, string env) => userId + "~" + env;

    /// <summary>Creates or replaces one subscription; true when it is new.</summary>
    public async Task<bool> PutAsync(SignalSubscriber subscriber, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var existing = await Table.GetEntityIfExistsAsync<SignalSubscriberEntity>(subscriber.HookId, RowKey(subscriber.UserId, subscriber.Env), cancellationToken: ct);
        var entity = new SignalSubscriberEntity
        {
            PartitionKey = subscriber.HookId,
            RowKey = RowKey(subscriber.UserId, subscriber.Env),
            UserId = subscriber.UserId,
            Env = subscriber.Env,
            SizingJson = JsonSerializer.Serialize(subscriber.Sizing, JsonBody.Options),
            Enabled = subscriber.Enabled,
            CreatedAt = existing.HasValue ? existing.Value!.CreatedAt : now,
            UpdatedAt = now,
        };
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
        return !existing.HasValue;
    }

    public async Task<bool> DeleteAsync(string hookId, string userId, string env, CancellationToken ct) =>
        (await Table.DeleteEntityAsync(hookId, RowKey(userId, env), ETag.All, ct)).Status != 404;

    public async Task<IReadOnlyList<SignalSubscriberEntity>> ListAsync(string hookId, CancellationToken ct)
    {
        var list = new List<SignalSubscriberEntity>();
        await foreach (var entity in Table.QueryAsync<SignalSubscriberEntity>(e => e.PartitionKey == hookId, cancellationToken: ct))
            list.Add(entity);
        return list;
    }

    public async Task<IReadOnlyList<SignalSubscriber>> ListEnabledAsync(string hookId, CancellationToken ct) =>
        (await ListAsync(hookId, ct)).Where(s => s.Enabled).Select(s => s.ToSubscriber()).ToList();

    /// <summary>Removes every subscription of a deleted hook, 100 rows per transaction.</summary>
    public async Task DeleteAllAsync(string hookId, CancellationToken ct)
    {
        foreach (var chunk in (await ListAsync(hookId, ct)).Chunk(100))
            await Table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), ct);
    }
}

public sealed class SignalSubscriberEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string UserId { get; set; } = "";
    public string Env { get; set; } = "";
    public string SizingJson { get; set; } = "{}";
    public bool Enabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public SignalSubscriber ToSubscriber() => new()
    {
        HookId = PartitionKey,
        UserId = UserId,
        Env = Env,
        Sizing = JsonSerializer.Deserialize<SubscriberSizing>(SizingJson, JsonBody.Options)!,
        Enabled = Enabled,
    };

    public SubscriberView ToView() => new(UserId, Env, ToSubscriber().Sizing, Enabled, CreatedAt, UpdatedAt);
}

/// <summary>A subscription as the API shows it.</summary>
public sealed record SubscriberView(string UserId, string Env, SubscriberSizing Sizing, bool Enabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
