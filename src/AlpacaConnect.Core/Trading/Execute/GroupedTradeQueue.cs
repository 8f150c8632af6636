using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Group commit of accepted trades' queue messages: while one send is on its way, the trades that
/// arrive meanwhile (up to <see cref="TradingOptions.MaxTradesPerMessage"/>) wait and then share
/// the next message. A lone trade is sent at once, alone, as before; under load one send and one
/// delete serve many trades. Each caller still waits for the send that carries its trade, so a
/// 202 still means "recorded and queued". One lane per visibility delay (at once; an inline hold;
/// each follow-up delay), executions and follow-up checks apart.
/// </summary>
public sealed class GroupedTradeQueue(TradeQueue queue, IOptions<TradingOptions> options)
{
    private readonly int _max = options.Value.MaxTradesPerMessage;
    private readonly Dictionary<(TimeSpan Delay, bool FollowUps), Lane> _lanes = [];

    /// <summary>Queues <paramref name="message"/> in the next group for <paramref name="delay"/>; answers once that group is on the queue.</summary>
    public Task<SentGroup> SendAsync(TradeExecution message, TimeSpan? delay, CancellationToken ct)
    {
        // Follow-up checks never share a message with executions: a held message is deleted when its executions are done.
        var key = (delay ?? TimeSpan.Zero, message.FollowUp > 0);
        Lane lane;
        lock (_lanes)
        {
            if (!_lanes.TryGetValue(key, out lane!))
                _lanes[key] = lane = new Lane(key.Item1);
        }
        Group group;
        bool start;
        lock (lane)
        {
            if (lane.Waiting.Count == 0 || lane.Waiting[^1].Messages.Count >= _max)
                lane.Waiting.Add(new Group());
            group = lane.Waiting[^1];
            group.Messages.Add(message);
            start = !lane.Sending;
            lane.Sending = true;
        }
        if (start)
            _ = Task.Run(() => PumpAsync(lane), CancellationToken.None);
        // The shared send is not canceled by one caller giving up; that caller only stops waiting.
        return group.Sent.Task.WaitAsync(ct);
    }

    /// <summary>
    /// One of a held group's trades needs nothing more from its message (done, or never recorded).
    /// When every one of them says so, the message is deleted; if any did not finish, the message
    /// stays and surfaces after its hold for the queue trigger, which finds the done ones closed.
    /// </summary>
    public async Task FinishAsync(SentGroup group, bool done, CancellationToken ct)
    {
        if (!group.CountDown(done))
            return;
        await queue.DeleteAsync(group.Receipt, ct);
    }

    /// <summary>Sends the lane's groups one after another until none waits.</summary>
    private async Task PumpAsync(Lane lane)
    {
        while (true)
        {
            Group group;
            lock (lane)
            {
                if (lane.Waiting.Count == 0)
                {
                    lane.Sending = false;
                    return;
                }
                group = lane.Waiting[0];
                lane.Waiting.RemoveAt(0);
            }
            try
            {
                var receipt = await queue.SendAsync(TradeExecution.Serialize(group.Messages), lane.Delay == TimeSpan.Zero ? null : lane.Delay, CancellationToken.None);
                group.Sent.SetResult(new SentGroup(receipt, group.Messages.Count));
            }
            catch (Exception ex)
            {
                group.Sent.SetException(ex);
            }
        }
    }

    private sealed class Lane(TimeSpan delay)
    {
        public TimeSpan Delay { get; } = delay;
        public List<Group> Waiting { get; } = [];
        public bool Sending { get; set; }
    }

    private sealed class Group
    {
        public List<TradeExecution> Messages { get; } = [];
        public TaskCompletionSource<SentGroup> Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A message on the queue carrying <paramref name="Trades"/> trades; counts down as they finish.</summary>
public sealed class SentGroup(SendReceipt receipt, int trades)
{
    private int _remaining = trades;
    private int _unfinished;

    public SendReceipt Receipt { get; } = receipt;

    public int Trades { get; } = trades;

    /// <summary>True for the last trade to finish when all of them finished: then the message may go.</summary>
    internal bool CountDown(bool done)
    {
        if (!done)
            Interlocked.Exchange(ref _unfinished, 1);
        return Interlocked.Decrement(ref _remaining) == 0 && Volatile.Read(ref _unfinished) == 0;
    }
}
