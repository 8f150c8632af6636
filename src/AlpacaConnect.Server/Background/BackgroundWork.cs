using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Schedules;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Server.Background;

/// <summary>The queue and timer work the Functions app declares as triggers, registered for the Server.</summary>
internal static class BackgroundWork
{
    public static IServiceCollection AddBackgroundWork(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<QueueRunnerOptions>().Bind(configuration.GetSection(QueueRunnerOptions.Section));
        // Each queue poisons at its own count (Trading:MaxDequeueCount, Webhooks:MaxDequeueCount; both
        // default to host.json's maxDequeueCount and never exceed it), as the Functions app does.
        AddQueue(services, new QueueBinding(Queues.TradeExecutions,
            (sp, message, dequeueCount, ct) => sp.GetRequiredService<TradeExecutor>().ExecuteAsync(message, dequeueCount, ct),
            (sp, message, messageId, ct) => sp.GetRequiredService<TradeExecutor>().SettlePoisonAsync(message, messageId, ct)),
            sp => sp.GetRequiredService<IOptions<TradingOptions>>().Value.MaxDequeueCount);

        AddQueue(services, new QueueBinding(Queues.WebhookDeliveries,
            (sp, message, _, ct) => sp.GetRequiredService<WebhookDispatcher>().DeliverAsync(message, ct),
            (sp, message, _, ct) => sp.GetRequiredService<WebhookDispatcher>().DeadLetterPoisonAsync(message, ct)),
            sp => sp.GetRequiredService<IOptions<WebhookOptions>>().Value.MaxDequeueCount);

        AddQueue(services, new QueueBinding(Queues.SignalFanOuts,
            (sp, message, _, ct) => sp.GetRequiredService<SignalFanOutWorker>().HandleAsync(message, ct),
            (sp, message, _, ct) => sp.GetRequiredService<SignalFanOutWorker>().SettlePoisonAsync(message, ct)),
            sp => sp.GetRequiredService<IOptions<SignalOptions>>().Value.MaxDequeueCount);

        services.AddSingleton<IHostedService>(sp => new ScheduledRunner("webhook outbox sweep",
            sp.GetRequiredService<IOptions<WebhookOptions>>().Value.SweepSchedule,
            (services, ct) => services.GetRequiredService<OutboxSweep>().RunAsync(ct),
            sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ScheduledRunner>>()));
        services.AddSingleton<IHostedService>(sp => new ScheduledRunner("trade status sync",
            sp.GetRequiredService<IOptions<TradingOptions>>().Value.StatusSyncSchedule,
            (services, ct) => services.GetRequiredService<TradeStatusSync>().RunAsync(ct),
            sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ScheduledRunner>>()));
        services.AddSingleton<IHostedService>(sp => new ScheduledRunner("signal recovery",
            sp.GetRequiredService<IOptions<SignalOptions>>().Value.RecoverySchedule,
            (services, ct) => services.GetRequiredService<SignalRecovery>().RunAsync(ct),
            sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ScheduledRunner>>()));
        services.AddSingleton<IHostedService>(sp => new ScheduledRunner("retention",
            sp.GetRequiredService<IOptions<RetentionOptions>>().Value.Schedule,
            (services, ct) => services.GetRequiredService<RetentionSweep>().RunAsync(ct),
            sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ScheduledRunner>>()));
        services.AddSingleton<IHostedService>(sp => new ScheduledRunner("schedules",
            sp.GetRequiredService<IOptions<ScheduleOptions>>().Value.TimerSchedule,
            (services, ct) => services.GetRequiredService<ScheduleRunner>().RunAsync(ct),
            sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ScheduledRunner>>()));
        return services;
    }

    private static void AddQueue(IServiceCollection services, QueueBinding binding, Func<IServiceProvider, int> maxDequeueCount) =>
        services.AddSingleton<IHostedService>(sp =>
        {
            var queues = sp.GetRequiredService<Queues>();
            var (queue, poison) = (queues.Get(binding.Name), queues.Poison(binding.Name));
            return new QueueProcessor(queue, poison, queues.Undecoded(queue), queues.Undecoded(poison), binding, sp,
                maxDequeueCount(sp), sp.GetRequiredService<IOptions<QueueSettings>>().Value,
                sp.GetRequiredService<IOptions<QueueRunnerOptions>>().Value, sp.GetRequiredService<ILogger<QueueProcessor>>());
        });
}
