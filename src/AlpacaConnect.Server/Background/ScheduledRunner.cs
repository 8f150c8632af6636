using AlpacaConnect.Core.Storage;
using NCrontab;

namespace AlpacaConnect.Server.Background;

/// <summary>
/// The Functions timer trigger, self-hosted: the same NCRONTAB schedule (with seconds), one run at a
/// time, and one run per occurrence across instances (<see cref="TimerLeases"/>, a blob lease, as the
/// Functions host's singleton lock).
/// </summary>
public sealed partial class ScheduledRunner(
    string name,
    string schedule,
    Func<IServiceProvider, CancellationToken, Task> run,
    IServiceProvider services,
    TimeProvider time,
    ILogger<ScheduledRunner> logger) : BackgroundService
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    private readonly CrontabSchedule _schedule = CrontabSchedule.Parse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var next = _schedule.GetNextOccurrence(now);
            // Task.Delay refuses waits over ~49.7 days (a yearly schedule from most dates): wait in steps.
            var wait = next - now;
            try
            {
                await Task.Delay(wait < MaxWait ? wait : MaxWait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (wait >= MaxWait)
                continue;
            try
            {
                var occurrence = new DateTimeOffset(next, TimeSpan.Zero);
                if (await services.GetRequiredService<TimerLeases>().RunOnceAsync(name.Replace(' ', '-'), occurrence, ct => run(services, ct), stoppingToken))
                    LogRan(name, occurrence);
                else
                    LogSkipped(name, occurrence);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRunFailed(name, ex.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Scheduled run {Name} for {Occurrence:O} ran on this instance")]
    private partial void LogRan(string name, DateTimeOffset occurrence);

    [LoggerMessage(LogLevel.Debug, "Scheduled run {Name} for {Occurrence:O} skipped: another instance has it")]
    private partial void LogSkipped(string name, DateTimeOffset occurrence);

    [LoggerMessage(LogLevel.Error, "Scheduled run {Name} failed: {Error}")]
    private partial void LogRunFailed(string name, string error);
}
