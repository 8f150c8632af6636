using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Schedules;

public sealed class ScheduleOptions
{
    public const string Section = "Schedules";

    /// <summary>NCRONTAB (with seconds) of the timer that places due occurrences; the Functions timer reads the same setting.</summary>
    [Required]
    public string TimerSchedule { get; set; } = "0 */1 * * * *";

    /// <summary>
    /// An occurrence found due later than this after its time (downtime, a stopped timer) is skipped
    /// and recorded as missed instead of placed; within it, the latest due occurrence is placed once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan MissedRunWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Schedules one timer run handles at once.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 32;
}
