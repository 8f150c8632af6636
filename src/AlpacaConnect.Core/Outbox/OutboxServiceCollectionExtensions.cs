using AlpacaConnect.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Outbox;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>Lets producers commit events into <paramref name="table"/>, has the sweep look there and retention purge its dispatched rows.</summary>
    public static IServiceCollection AddOutboxTable(this IServiceCollection services, string table) =>
        services.Configure<OutboxOptions>(o => o.Tables.Add(table))
            .AddSingleton(sp => EventOutbox.Retention(table, sp.GetRequiredService<IOptions<RetentionOptions>>().Value.OutboxAfter));
}
