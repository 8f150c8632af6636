using AlpacaConnect.Core.Storage;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Group commit of accepted trades' queue messages: while one send is on its way, the trades that
/// arrive meanwhile (up to <see cref="TradingOptions.MaxTradesPerMessage"/>) wait and then share
/// the next message. A lone trade is sent at once, alone, as before; under load one send and one
/// delete serve many trades. Each caller still waits for the send that carries its trade, so a
/// 202 still means "recorded and queued". One lane per visibility delay (at once; each follow-up
/// delay), executions and follow-up checks apart.
/// </summary>
public sealed class GroupedTradeQueue(TradeQueue queue, IOptions<TradingOptions> options)
{
    private readonly int _max = options.Value.MaxTradesPerMessage;
    private readonly Dictionary<(TimeSpan Delay, bool FollowUps), GroupCommit<TradeExecution, SentGroup>> _lanes = [];

    /// <summary>Queues <paramref name="message"/> in the next group for <paramref name="delay"/>; answers once that group is on the queue.</summary>
    public Task<SentGroup> SendAsync(TradeExecution message, TimeSpan? delay, CancellationToken ct)
    {
        // Follow-up checks never share a message with executions: a poisoned message then names one kind of work.
        var key = (delay ?? TimeSpan.Zero, message.FollowUp > 0);
        GroupCommit<TradeExecution, SentGroup> lane;
        lock (_lanes)
        {
            if (!_lanes.TryGetValue(key, out lane!))
                _lanes[key] = lane = new(_max, messages => SendGroupAsync(messages, key.Item1));
        }
        return lane.AddAsync(message, ct);
    }

    private async Task<SentGroup> SendGroupAsync(IReadOnlyList<TradeExecution> messages, TimeSpan delay)
    {
        var receipt = await queue.SendAsync(TradeExecution.Serialize(messages), delay == TimeSpan.Zero ? null : delay, CancellationToken.None);
        return new SentGroup(receipt, messages.Count);
    }
}

/// <summary>A message on the queue carrying <paramref name="Trades"/> trades.</summary>
public sealed record SentGroup(SendReceipt Receipt, int Trades);
