namespace AlpacaConnect.Core.Storage;

/// <summary>
/// Group commit: while one write is on its way, the items that arrive meanwhile (up to
/// <c>max</c>) wait and then go together in the next write. A lone item is written at once, alone;
/// under load one storage call serves many items. Each caller waits for the write that carries its
/// item and gets that write's result (or its exception). The shared write is never canceled by one
/// caller giving up: that caller only stops waiting.
/// </summary>
public sealed class GroupCommit<TItem, TResult>(int max, Func<IReadOnlyList<TItem>, Task<TResult>> write)
{
    private readonly List<Group> _waiting = [];
    private bool _writing;

    /// <summary>Adds <paramref name="item"/> to the next group; answers once that group is written.</summary>
    public Task<TResult> AddAsync(TItem item, CancellationToken ct)
    {
        Group group;
        bool start;
        lock (_waiting)
        {
            if (_waiting.Count == 0 || _waiting[^1].Items.Count >= max)
                _waiting.Add(new Group());
            group = _waiting[^1];
            group.Items.Add(item);
            start = !_writing;
            _writing = true;
        }
        if (start)
            _ = Task.Run(PumpAsync, CancellationToken.None);
        return group.Written.Task.WaitAsync(ct);
    }

    /// <summary>Writes the groups one after another until none waits.</summary>
    private async Task PumpAsync()
    {
        while (true)
        {
            Group group;
            lock (_waiting)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }
                group = _waiting[0];
                _waiting.RemoveAt(0);
            }
            try
            {
                group.Written.SetResult(await write(group.Items));
            }
            catch (Exception ex)
            {
                group.Written.SetException(ex);
            }
        }
    }

    private sealed class Group
    {
        public List<TItem> Items { get; } = [];
        public TaskCompletionSource<TResult> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
