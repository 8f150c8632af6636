using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Signals;

public sealed class SignalOptions
{
    public const string Section = "Signals";

    /// <summary>The origin alert URLs hang off; defaults to Connect:PublicBaseUrl.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>How long a hook's previous secret keeps working after a rotation.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromDays(1);

    /// <summary>An alert without an id whose body equals one received this recently is a duplicate (TradingView resends after 5 s, up to 3 times).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest alert body read; a larger one is refused (TradingView's messages are far smaller).</summary>
    [Range(256, 64 * 1024)]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Failed alert authentications (wrong hook, secret or source) a source may make per minute before it is refused (429) for the rest of the minute.</summary>
    [Range(1, 100_000)]
    public int FailuresPerMinute { get; set; } = 10;

    /// <summary>
    /// Where the caller's address comes from: empty = the connection's remote address; a header
    /// name (e.g. X-Forwarded-For, as Azure's front ends set it) = the last address in that header.
    /// Only set it behind a proxy that writes the header, or callers can claim any address.
    /// </summary>
    public string? ClientAddressHeader { get; set; }

    /// <summary>
    /// How long the alert endpoint reuses a hook it read (per instance; 0 = read it for every alert).
    /// A change through another instance (a rotation, a delete, a pause) reaches this one's alerts
    /// within it; the fan-out always reads the hook itself, so a pause stops orders at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan HookCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>NCRONTAB (with seconds) of the timer that re-queues the fan-out of signals left queued (<see cref="SignalRecovery"/>; Functions timer RecoverSignals, the Server's runner).</summary>
    [Required]
    public string RecoverySchedule { get; set; } = "45 */1 * * * *";

    /// <summary>
    /// How long a signal may stay queued after it was received (or last re-queued) before its fan-out
    /// is queued again. Longer than a fan-out's message takes to be handled and retried in the normal
    /// course; a re-run it starts is safe (idempotency keys), only wasted work.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RecoverAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Deliveries of a signal-fanouts message that keeps throwing before it is poisoned (defaults to host.json's maxDequeueCount, never above it).</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;
}
