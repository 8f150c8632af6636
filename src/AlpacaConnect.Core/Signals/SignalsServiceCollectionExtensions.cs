using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

public static class SignalsServiceCollectionExtensions
{
    /// <summary>Hooks, the alert intake, the signal log and the fan-out worker.</summary>
    public static IServiceCollection AddSignals(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SignalOptions>()
            .Configure<IOptions<QueueSettings>>((o, queues) => o.MaxDequeueCount = queues.Value.MaxDequeueCount)
            .Bind(configuration.GetSection(SignalOptions.Section))
            .PostConfigure(o => o.PublicBaseUrl ??= configuration.GetValue<Uri?>("Connect:PublicBaseUrl"))
            .ValidateDataAnnotations()
            .Validate<IOptions<QueueSettings>>((o, queues) => o.MaxDequeueCount <= queues.Value.MaxDequeueCount,
                "Signals:MaxDequeueCount must not exceed host.json's extensions.queues.maxDequeueCount (the Functions host poisons there whatever the app says).")
            .ValidateOnStart();
        services.AddSingleton<SignalHookStore>();
        services.AddSingleton<SignalSubscriberStore>();
        services.AddSingleton<SignalLog>();
        services.AddSingleton<SignalFanOutQueue>();
        services.AddSingleton<SignalIntake>();
        services.AddSingleton<SignalHooksApi>();
        services.AddSingleton<SignalLogApi>();
        services.AddSingleton<SignalFanOutWorker>();
        services.AddSingleton<SignalRecovery>();
        services.AddOutboxTable(Tables.Signals);
        return services;
    }
}
