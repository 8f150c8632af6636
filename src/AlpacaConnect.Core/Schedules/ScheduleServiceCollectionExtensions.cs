using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NCrontab;

namespace AlpacaConnect.Core.Schedules;

public static class ScheduleServiceCollectionExtensions
{
    /// <summary>Schedules: options (validated at start), the store and its due index, the API and the timer's runner.</summary>
    public static IServiceCollection AddSchedules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ScheduleOptions>().Bind(configuration.GetSection(ScheduleOptions.Section)).ValidateDataAnnotations()
            .Validate(o => CrontabSchedule.TryParse(o.TimerSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                "Schedules:TimerSchedule must be an NCRONTAB expression with seconds, e.g. '0 */1 * * * *'.")
            .ValidateOnStart();
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<ScheduleRunner>();
        services.AddSingleton<SchedulesApi>();
        services.AddOutboxTable(Tables.Schedules);
        return services;
    }
}
