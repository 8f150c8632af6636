using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// The app's queues and their poison twins. Messages are base64 (set on the client), as the
/// Functions queue trigger expects.
/// </summary>
public sealed class Queues(QueueServiceClient service, IOptions<StorageOptions> options)
{
    public const string TradeExecutions = "trade-executions";
    public const string WebhookDeliveries = "webhook-deliveries";
    public const string PoisonSuffix = "-poison";

    public static readonly IReadOnlyList<string> All = [TradeExecutions, WebhookDeliveries];

    private readonly string _prefix = options.Value.Prefix;

    public QueueClient Get(string name) => service.GetQueueClient(_prefix + name);

    public QueueClient Poison(string name) => service.GetQueueClient(_prefix + name + PoisonSuffix);

    public async Task CreateAllAsync(CancellationToken ct)
    {
        foreach (var name in All)
        {
            await Get(name).CreateIfNotExistsAsync(cancellationToken: ct);
            await Poison(name).CreateIfNotExistsAsync(cancellationToken: ct);
        }
    }
}
