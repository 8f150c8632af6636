using AlpacaConnect.Core.Storage;

namespace AlpacaConnect.UnitTests.Storage;

/// <summary>GroupCommit: a lone item is written at once; items that arrive during a write share the next one.</summary>
public sealed class GroupCommitTests
{
    /// <summary>A write that records its items and waits until the test lets it finish.</summary>
    private sealed class GatedWrites
    {
        public List<IReadOnlyList<int>> Writes { get; } = [];
        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<int> WriteAsync(IReadOnlyList<int> items)
        {
            lock (Writes)
                Writes.Add([.. items]);
            await Gate.Task;
            if (items.Contains(-1))
                throw new InvalidOperationException("refused");
            return Writes.Count;
        }
    }

    [Fact]
    public async Task Items_that_arrive_during_a_write_share_the_next_one_up_to_the_limit()
    {
        var writes = new GatedWrites();
        var commit = new GroupCommit<int, int>(max: 3, writes.WriteAsync);

        var first = commit.AddAsync(0, default);
        await WaitUntil(() => writes.Writes.Count == 1);
        var waiting = Enumerable.Range(1, 5).Select(i => commit.AddAsync(i, default)).ToList();
        Assert.False(first.IsCompleted);

        writes.Gate.SetResult();
        var results = await Task.WhenAll([first, .. waiting]);

        Assert.Equal([[0], [1, 2, 3], [4, 5]], writes.Writes.Select(w => w.ToArray()).ToArray());
        // Each caller gets the result of the write that carried its item.
        Assert.Equal([1, 2, 2, 2, 3, 3], results);
    }

    [Fact]
    public async Task A_failed_write_fails_its_own_items_only_and_a_caller_that_gives_up_does_not_cancel_the_write()
    {
        var writes = new GatedWrites();
        var commit = new GroupCommit<int, int>(max: 10, writes.WriteAsync);

        var first = commit.AddAsync(0, default);
        await WaitUntil(() => writes.Writes.Count == 1);
        var refused = commit.AddAsync(-1, default);
        using var giveUp = new CancellationTokenSource();
        var impatient = commit.AddAsync(7, giveUp.Token);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);

        writes.Gate.SetResult();
        Assert.Equal(1, await first);
        await Assert.ThrowsAsync<InvalidOperationException>(() => refused);
        Assert.Equal([[0], [-1, 7]], writes.Writes.Select(w => w.ToArray()).ToArray());

        // The pump goes on after a failure.
        Assert.Equal(3, await commit.AddAsync(8, default));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition());
    }
}
