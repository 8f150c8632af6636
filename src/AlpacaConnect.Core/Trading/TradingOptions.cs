using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Trading;

public sealed class TradingOptions
{
    public const string Section = "Trading";

    /// <summary>NCRONTAB (with seconds) of the status sync timer. The Functions timer reads the same setting.</summary>
    [Required]
    public string StatusSyncSchedule { get; set; } = "0 */1 * * * *";

    /// <summary>Users the status sync follows at once (each is one order list; Alpaca limits per account, not per app).</summary>
    [Range(1, 64)]
    public int StatusSyncConcurrency { get; set; } = 8;

    /// <summary>
    /// Connections the status sync's orphan audit visits per run (OrphanOrders): users with no open
    /// trade are never listed by the sync otherwise, so a lost trade row of theirs would go unseen.
    /// Each visit is one order list of that account (up to 4 pages) since the previous round of the
    /// audit began, so a round over N connections takes N / this many runs (at the default 4 and one
    /// run a minute: 10,000 connections in about 42 hours) and costs each account one read a
    /// round, far inside Alpaca's 200 a minute. 0 turns the audit off.
    /// </summary>
    [Range(0, 100)]
    public int OrphanAuditConnectionsPerRun { get; set; } = 4;

    /// <summary>How far back the audit's first round lists each connection's orders (later rounds list since the previous round began).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan OrphanAuditFirstLookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Transient failures (5xx, timeouts) tolerated per trade before it waits for the sync to settle it.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First retry delay; doubles per attempt, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest wait for Alpaca's rate-limit window to reset before trying again (a wait never counts as a failure).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// An order not at Alpaca this long after it was accepted is never sent: markets move, and a
    /// stale order is worse than a failed one. After it, the trade is settled by looking it up.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan SubmitDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// An accepted trade without an order whose queue message is this long overdue (past the time
    /// noted on its row when the message was sent) is re-queued by the sync: its message was lost.
    /// A message on its way (backoff, rate-limit wait) is never doubled; neither is a trade the accepting process is running (inline, due at acceptance). Keep it above
    /// the longest attempt (Alpaca calls with their own retries), or the sync may supersede a
    /// delivery still at work (that one then stops at its next step).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StaleAcceptedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Trades the accepting process runs at once, without waiting for the queue to deliver them
    /// (see TradeDispatch); 0 turns it off. The Server sets 256; the Functions host leaves it off.
    /// </summary>
    [Range(0, 4096)]
    public int InlineExecutions { get; set; }

    /// <summary>
    /// Delays of the follow-up checks of a submitted order that Alpaca has not ended yet, counted
    /// from the previous check (OrderFollowUp): one Alpaca read each, so a fill or a cancel at Alpaca
    /// becomes order.* events within seconds instead of at the next status sync. After the last, the
    /// sync follows the order. Empty: no follow-ups. The default checks 1, 3, 6 s after the order
    /// landed, then every 4 s up to 30 s, then at 60 s: a change in its first 30 s is seen within
    /// 4 s, for at most 10 reads per order (Alpaca allows 200 a minute per account).
    /// </summary>
    public string FollowUpSchedule { get; set; } = "00:00:01,00:00:02,00:00:03,00:00:04,00:00:04,00:00:04,00:00:04,00:00:04,00:00:04,00:00:30";

    public IReadOnlyList<TimeSpan> FollowUps() =>
        FollowUpSchedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => TimeSpan.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>
    /// Most trades one queue message carries when trades accepted at the same time share it (group
    /// commit, GroupedTradeQueue); 1 gives every trade its own message. 32 full messages stay far
    /// below the queue's 64 KB.
    /// </summary>
    [Range(1, 32)]
    public int MaxTradesPerMessage { get; set; } = 32;

    /// <summary>
    /// Deliveries of one trade-executions message before it goes to the poison queue, on both hosts.
    /// Default and upper bound: host.json's extensions.queues.maxDequeueCount (Storage/QueueSettings).
    /// </summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;
}
