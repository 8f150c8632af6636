using System.Collections.Concurrent;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.TestSupport;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// The outbox building block on Azurite, with a producer table of its own (not trades or
/// connections), as a new producer would use it: a change and its events commit together, an event
/// nobody wants is not written, and what was committed but not dispatched is swept once.
/// </summary>
public sealed class OutboxTests : IAsyncLifetime
{
    private const string ProducerTable = "outboxprobe";
    private const string Wanted = "probe.wanted";
    private const string Unwanted = "probe.unwanted";

    private readonly string _prefix = Azurite.NewPrefix("t", 12);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly RecordingDispatcher _dispatcher = new();
    private readonly OutboxOptions _options = new();
    private readonly Tables _tables;
    private readonly EventOutbox _outbox;
    private readonly OutboxSweep _sweep;

    public OutboxTests()
    {
        _options.Tables.Add(ProducerTable);
        _tables = new Tables(new TableServiceClient(Azurite.ConnectionString), Options.Create(new StorageOptions { Prefix = _prefix }));
        var index = new WorkIndex(_tables, _time);
        _outbox = new EventOutbox(_tables, _dispatcher, index, new RetentionIndex(_tables, _time), Options.Create(new RetentionOptions()),
            Options.Create(_options), NullLogger<EventOutbox>.Instance);
        _sweep = new OutboxSweep(_outbox, index, Options.Create(_options), _time, NullLogger<OutboxSweep>.Instance);
    }

    public async Task InitializeAsync()
    {
        await Table.CreateIfNotExistsAsync();
        await _tables.Get(Tables.WorkIndex).CreateIfNotExistsAsync();
        await _tables.Get(Tables.Retention).CreateIfNotExistsAsync();
    }

    public Task DisposeAsync() => Azurite.DeletePrefixedAsync(_prefix);

    private TableClient Table => _tables.Get(ProducerTable);

    [Fact]
    public async Task A_change_whose_events_nobody_wants_is_the_entity_alone()
    {
        var etag = await _outbox.CommitAsync(ProducerTable, Add("p1", "a"), [Event(Unwanted)], default);

        var rows = await RowsAsync("p1");
        Assert.Equal(["a"], rows.Select(r => r.RowKey));
        Assert.Equal(rows[0].ETag, etag);
        Assert.Empty(_dispatcher.Received);
    }

    [Fact]
    public async Task A_wanted_event_is_written_with_its_change_then_dispatched_and_marked()
    {
        var e = Event(Wanted);
        var etag = await _outbox.CommitAsync(ProducerTable, Add("p1", "a"), [e, Event(Unwanted)], default);

        var rows = await RowsAsync("p1");
        Assert.Equal(["a", EventOutbox.RowPrefix + e.Id], rows.Select(r => r.RowKey));
        Assert.Equal(rows[0].ETag, etag);
        Assert.True(rows[1].GetBoolean("Dispatched"));
        Assert.Equal(DomainEvent.CurrentVersion, rows[1].GetInt32("EventVersion"));
        Assert.Equal([e.Id], _dispatcher.Received.Select(r => r.Id));
    }

    [Fact]
    public async Task A_refused_change_writes_neither_it_nor_its_events()
    {
        var first = await _outbox.CommitAsync(ProducerTable, Add("p1", "a"), [], default);
        await Table.UpdateEntityAsync(new TableEntity("p1", "a") { ["Value"] = 2 }, first, TableUpdateMode.Replace);

        var conflict = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            _outbox.CommitAsync(ProducerTable, Add("p1", "a"), [Event(Wanted)], default));
        Assert.Equal(409, conflict.Status);
        var stale = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            _outbox.CommitAsync(ProducerTable, new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity("p1", "a"), first), [Event(Wanted)], default));
        Assert.Equal(412, stale.Status);

        Assert.Equal(["a"], (await RowsAsync("p1")).Select(r => r.RowKey));
        Assert.Empty(_dispatcher.Received);
    }

    [Fact]
    public async Task Events_without_a_change_are_their_own_write_and_none_when_unwanted()
    {
        var e = Event(Wanted);
        await _outbox.RecordAsync(ProducerTable, "p2", [e, Event(Unwanted)], default);

        Assert.Equal([EventOutbox.RowPrefix + e.Id], (await RowsAsync("p2")).Select(r => r.RowKey));
        Assert.Equal([e.Id], _dispatcher.Received.Select(r => r.Id));
    }

    [Fact]
    public async Task An_event_committed_but_not_dispatched_is_swept_once_after_the_grace_period()
    {
        _dispatcher.FailNext = true;
        var e = Event(Wanted);
        await _outbox.CommitAsync(ProducerTable, Add("p3", "a"), [e], default);
        Assert.Empty(_dispatcher.Received);
        Assert.False((await RowsAsync("p3"))[1].GetBoolean("Dispatched"));

        Assert.Equal(0, await _sweep.RunAsync(default)); // its writer may still be dispatching it
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await _sweep.RunAsync(default));
        Assert.Equal(0, await _sweep.RunAsync(default));

        var swept = Assert.Single(_dispatcher.Received);
        Assert.Equal((e.Id, e.Type, e.Version, e.Data.ToJsonString()), (swept.Id, swept.Type, swept.Version, swept.Data.ToJsonString()));
        Assert.True((await RowsAsync("p3"))[1].GetBoolean("Dispatched"));
    }

    [Fact]
    public async Task A_table_not_registered_with_the_outbox_is_refused_before_anything_is_written()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _outbox.CommitAsync(Tables.Trades, Add("p4", "a"), [Event(Wanted)], default));
        Assert.Contains("AddOutboxTable", error.Message);
        Assert.Empty(_dispatcher.Received);
    }

    private static TableTransactionAction Add(string partition, string row) =>
        new(TableTransactionActionType.Add, new TableEntity(partition, row) { ["Value"] = 1 });

    private DomainEvent Event(string type) => DomainEvent.Create(type, _time.GetUtcNow(), new { probe = type });

    private async Task<List<TableEntity>> RowsAsync(string partition)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Table.QueryAsync<TableEntity>(r => r.PartitionKey == partition))
            rows.Add(row);
        return rows;
    }

    /// <summary>Wants <see cref="Wanted"/> only; fails one dispatch on request, as a queue outage would.</summary>
    private sealed class RecordingDispatcher : IEventDispatcher
    {
        public ConcurrentQueue<DomainEvent> Received { get; } = new();
        public bool FailNext { get; set; }

        public ValueTask<bool> WantsAsync(string eventType, CancellationToken ct) => ValueTask.FromResult(eventType == Wanted);

        public Task DispatchAsync(DomainEvent e, CancellationToken ct)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new HttpRequestException("queue unreachable");
            }
            Received.Enqueue(e);
            return Task.CompletedTask;
        }
    }
}
