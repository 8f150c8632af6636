using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// The queue trigger's settings, read as the Functions host reads them: host.json's
/// <c>extensions.queues</c>, then app settings <c>AzureFunctionsJobHost__extensions__queues__*</c>
/// over it. The Functions host applies them to every queue trigger; the Server's queue runner reads
/// the same file and the same keys, so both hosts poll, batch, retry and poison alike. A key host.json
/// leaves out takes the host's own default.
/// </summary>
/// <remarks>
/// The host has one block for all queues. A queue that should poison sooner names its own count
/// (<c>Trading:MaxDequeueCount</c>, <c>Webhooks:MaxDequeueCount</c>, default <see cref="MaxDequeueCount"/>,
/// never above it): the Server's runner poisons at it, and under the Functions host the app moves the
/// message to the poison queue itself at that count, before the host's bound is reached.
/// </remarks>
public sealed class QueueSettings
{
    /// <summary>The file, beside the app's assemblies (both projects copy the repository's host.json to their output).</summary>
    public const string HostJson = "host.json";

    /// <summary>Where host.json's overrides live in configuration, as the Functions host reads them.</summary>
    public const string Section = "AzureFunctionsJobHost:extensions:queues";

    /// <summary>Longest wait between polls of an idle queue (the listener backs off up to it).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a failed message stays invisible before its next delivery.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>Messages fetched at once per queue.</summary>
    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    /// <summary>In-flight messages at or below which the next batch is fetched; -1: the host's default (BatchSize / 2 per processor).</summary>
    [Range(-1, 1000)]
    public int NewBatchThreshold { get; set; } = -1;

    /// <summary>Deliveries before a message goes to its poison queue: the host's, and the upper bound of every queue's own.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>What a trigger is handed: "none" (the text as stored; the app decodes it) is the only value this app runs with.</summary>
    public string MessageEncoding { get; set; } = "base64";

    /// <summary>Messages handled at once per queue: a batch, plus the threshold at which the next one is fetched.</summary>
    public int MaxInFlight => BatchSize + (NewBatchThreshold >= 0 ? NewBatchThreshold : BatchSize / 2 * Environment.ProcessorCount);

    /// <summary>host.json's queue block into <paramref name="settings"/>; a missing file is an error that names it.</summary>
    public static void ReadHostJson(string path, QueueSettings settings)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: the queue settings of both hosts come from host.json (extensions.queues).");
        new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build()
            .GetSection("extensions:queues").Bind(settings);
    }

    /// <summary>Registers the settings: host.json (at <paramref name="hostJsonPath"/>, default beside the app), then configuration over it, validated at start.</summary>
    public static OptionsBuilder<QueueSettings> Add(IServiceCollection services, IConfiguration configuration, string? hostJsonPath = null) =>
        services.AddOptions<QueueSettings>()
            .Configure(o => ReadHostJson(hostJsonPath ?? Path.Combine(AppContext.BaseDirectory, HostJson), o))
            .Bind(configuration.GetSection(Section))
            .ValidateDataAnnotations()
            .Validate(o => string.Equals(o.MessageEncoding, "none", StringComparison.OrdinalIgnoreCase),
                "host.json's extensions.queues.messageEncoding must be \"none\": the handlers on both hosts take each message as stored and decode it themselves (Queues.AsText).")
            .ValidateOnStart();
}
