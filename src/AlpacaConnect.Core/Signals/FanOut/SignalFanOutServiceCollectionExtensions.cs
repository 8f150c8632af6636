using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.Core.Signals;

public static class SignalFanOutServiceCollectionExtensions
{
    /// <summary>The fan-out of a recorded signal to its subscribers (<see cref="SignalFanOut"/>) and what it reads through.</summary>
    public static IServiceCollection AddSignalFanOut(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SignalFanOutOptions>().Bind(configuration.GetSection(SignalFanOutOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BrokerReadCache>();
        services.AddSingleton<SignalFanOut>();
        return services;
    }
}
