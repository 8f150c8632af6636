using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Delays before each attempt: Standard Webhooks' schedule (immediately, 5 s, 5 min, 30 min, 2 h,
    /// 5 h, 10 h, 10 h), comma-separated. After the last the delivery is dead-lettered. Tests compress it.
    /// </summary>
    [Required]
    public string RetrySchedule { get; set; } = "00:00:00,00:00:05,00:05:00,00:30:00,02:00:00,05:00:00,10:00:00,10:00:00";

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Allow http:// and private, loopback or link-local targets. Null = only in Development. Never
    /// in production: a subscription URL must not reach into the app's own network.
    /// </summary>
    public bool? AllowPrivateTargets { get; set; }

    /// <summary>How long the previous secret keeps signing after a rotation, so receivers can switch over.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>NCRONTAB (with seconds) of the outbox sweep that dispatches events a crash left behind.</summary>
    [Required]
    public string SweepSchedule { get; set; } = "30 */1 * * * *";

    /// <summary>
    /// Deliveries of one webhook-deliveries message that keeps throwing before it goes to the poison
    /// queue (and is recorded as dead-lettered), on both hosts. Default and upper bound: host.json's
    /// extensions.queues.maxDequeueCount (Storage/QueueSettings). Failed HTTP attempts are not
    /// these: they follow <see cref="RetrySchedule"/>.
    /// </summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    public IReadOnlyList<TimeSpan> Schedule() =>
        RetrySchedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => TimeSpan.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
}
