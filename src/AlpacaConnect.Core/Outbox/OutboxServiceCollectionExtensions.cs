using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.Core.Outbox;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>Lets producers commit events into <paramref name="table"/> and has the sweep look there.</summary>
    public static IServiceCollection AddOutboxTable(this IServiceCollection services, string table) =>
        services.Configure<OutboxOptions>(o => o.Tables.Add(table));
}
