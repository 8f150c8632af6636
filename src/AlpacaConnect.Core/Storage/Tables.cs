using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

/// <summary>The app's tables. Partition keys follow the access path: one user's data in one partition.</summary>
public sealed class Tables(TableServiceClient service, IOptions<StorageOptions> options)
{
    public const string ConnectLinks = "connectlinks";
    public const string OAuthStates = "oauthstates";
    public const string Connections = "connections";
    /// <summary>Who holds each Alpaca account: partition = account id, row = env (Connections/AccountOwners).</summary>
    public const string AccountOwners = "accountowners";
    public const string Trades = "trades";
    public const string WebhookSubscriptions = "webhooksubs";
    public const string WebhookDeliveries = "webhookdeliveries";
    /// <summary>Agent tokens: partition = user id, row = the token id's hex part (Agents/AgentTokens).</summary>
    public const string AgentTokens = "agenttokens";
    /// <summary>Agents' previewed orders waiting for place_trade: partition = user id, row = confirmation id.</summary>
    public const string AgentPreviews = "agentpreviews";
    /// <summary>What each agent token placed per UTC day: partition = user id.</summary>
    public const string AgentSpend = "agentspend";
    /// <summary>Signal hooks: one partition, row = hook id (Signals/Hooks).</summary>
    public const string SignalHooks = "signalhooks";
    /// <summary>Who follows each hook: partition = hook id, row = "{user id}~{env}".</summary>
    public const string SignalSubscribers = "signalsubs";
    /// <summary>Recorded signals, their dedupe claims and outcomes: partition = hook id (Signals/Log).</summary>
    public const string Signals = "signals";
    /// <summary>Recurring trades: partition = user id, row = the schedule id's hex part (Schedules/ScheduleStore).</summary>
    public const string Schedules = "schedules";
    /// <summary>The schedules' due-time index: partition = the UTC minute a run falls due (yyyyMMddHHmm), row = schedule id.</summary>
    public const string ScheduleDue = "scheduledue";
    /// <summary>Queue messages no handler could read (see <see cref="Storage.DeadLetters"/>).</summary>
    public const string DeadLetters = "deadletters";
    /// <summary>Partitions that may hold open work, per kind (<see cref="Storage.WorkIndex"/>).</summary>
    public const string WorkIndex = "workindex";
    /// <summary>What the retention timer deletes, keyed by the hour it may go (<see cref="Storage.RetentionIndex"/>).</summary>
    public const string Retention = "retention";
    /// <summary>One row per background job that keeps progress between runs: the open-trade backfill's, the orphan audit's cursor.</summary>
    public const string Markers = "markers";

    public static readonly IReadOnlyList<string> All = [ConnectLinks, OAuthStates, Connections, AccountOwners, Trades, WebhookSubscriptions, WebhookDeliveries, DeadLetters, AgentTokens, AgentPreviews, AgentSpend, WorkIndex, Retention, SignalHooks, SignalSubscribers, Signals, Schedules, ScheduleDue, Markers];

    private readonly string _prefix = options.Value.Prefix;

    public TableClient Get(string name) => service.GetTableClient(_prefix + name);

    public TableServiceClient Service => service;

    public async Task CreateAllAsync(CancellationToken ct)
    {
        foreach (var name in All)
            await Get(name).CreateIfNotExistsAsync(ct);
    }
}
