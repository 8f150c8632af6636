using NCrontab;

namespace AlpacaConnect.Server.Background;

/// <summary>The Functions timer trigger, self-hosted: the same NCRONTAB schedule (with seconds), one run at a time.</summary>
public sealed partial class ScheduledRunner(
    string name,
    string schedule,
    Func<IServiceProvider, CancellationToken, Task> run,
    IServiceProvider services,
    TimeProvider time,
    ILogger<ScheduledRunner> logger) : BackgroundService
{
    private readonly CrontabSchedule _schedule = CrontabSchedule.Parse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var next = _schedule.GetNextOccurrence(now);
            try
            {
                await Task.Delay(next - now, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await run(services, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRunFailed(name, ex.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Scheduled run {Name} failed: {Error}")]
    private partial void LogRunFailed(string name, string error);
}
