using AlpacaConnect.Core.Agents;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connect;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Health;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Outbox;
using AlpacaConnect.Core.Schedules;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Telemetry;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Core.Webhooks;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NCrontab;
using Polly.Telemetry;

namespace AlpacaConnect.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Everything the hosts need; a host calls this and maps its triggers.</summary>
    public static IServiceCollection AddAlpacaConnectCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        // The OAuth callback's query (code, state) must never reach a log, whatever the log levels say.
        services.PostConfigure<LoggerFilterOptions>(RequestLogging.HoldHostingDiagnosticsAtWarning);

        services.AddOptions<AlpacaOptions>().Bind(configuration.GetSection(AlpacaOptions.Section))
            .PostConfigure(o => o.ApplySandboxDefault())
            .Validate(o => o.AuthorizeUrl.IsAbsoluteUri && o.TokenUrl.IsAbsoluteUri && o.PaperApiUrl.IsAbsoluteUri && o.LiveApiUrl.IsAbsoluteUri,
                "Alpaca:AuthorizeUrl, TokenUrl, PaperApiUrl and LiveApiUrl must be absolute URLs.")
            .ValidateOnStart();
        services.AddOptions<ConnectOptions>().Bind(configuration.GetSection(ConnectOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.PublicBaseUrl is null || o.PublicBaseUrl.IsAbsoluteUri, "Connect:PublicBaseUrl must be an absolute URL.")
            .ValidateOnStart();
        services.AddOptions<SecretsOptions>().Bind(configuration.GetSection(SecretsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        // host.json's queue settings, for both hosts; each queue's dequeue count defaults to host.json's and stays at or under it.
        QueueSettings.Add(services, configuration);
        services.AddOptions<TradingOptions>()
            .Configure<IOptions<QueueSettings>>((o, queues) => o.MaxDequeueCount = queues.Value.MaxDequeueCount)
            .Bind(configuration.GetSection(TradingOptions.Section)).ValidateDataAnnotations()
            .Validate<IOptions<QueueSettings>>((o, queues) => o.MaxDequeueCount <= queues.Value.MaxDequeueCount,
                "Trading:MaxDequeueCount must not exceed host.json's extensions.queues.maxDequeueCount (the Functions host poisons there whatever the app says).")
            .Validate(o => CrontabSchedule.TryParse(o.StatusSyncSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                "Trading:StatusSyncSchedule must be an NCRONTAB expression with seconds, e.g. '0 */1 * * * *'.")
            .Validate(o => { try { return o.FollowUps().All(d => d > TimeSpan.Zero && d <= TimeSpan.FromDays(7)); } catch (FormatException) { return false; } },
                "Trading:FollowUpSchedule must be comma-separated positive time spans of at most 7 days (the queue's longest delay), e.g. '00:00:01,00:00:03,00:00:10,00:00:30', or empty.")
            .ValidateOnStart();
        services.AddOptions<WebhookOptions>()
            .Configure<IOptions<QueueSettings>>((o, queues) => o.MaxDequeueCount = queues.Value.MaxDequeueCount)
            .Bind(configuration.GetSection(WebhookOptions.Section)).ValidateDataAnnotations()
            .Validate<IOptions<QueueSettings>>((o, queues) => o.MaxDequeueCount <= queues.Value.MaxDequeueCount,
                "Webhooks:MaxDequeueCount must not exceed host.json's extensions.queues.maxDequeueCount (the Functions host poisons there whatever the app says).")
            .Validate(o => { try { return o.Schedule().Count > 0; } catch (FormatException) { return false; } },
                "Webhooks:RetrySchedule must be comma-separated time spans, e.g. '00:00:00,00:00:05,00:05:00'.")
            .Validate(o => CrontabSchedule.TryParse(o.SweepSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                "Webhooks:SweepSchedule must be an NCRONTAB expression with seconds.")
            .ValidateOnStart();
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateDataAnnotations()
            .Validate(o => CrontabSchedule.TryParse(o.Schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                "Retention:Schedule must be an NCRONTAB expression with seconds, e.g. '0 5 * * * *'.")
            .Validate(o => o.OutboxAfter > TimeSpan.Zero && o.DeliveriesAfter > TimeSpan.Zero, "Retention:OutboxAfter and Retention:DeliveriesAfter must be positive.")
            .ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        var vaultUri = configuration.GetSection(SecretsOptions.Section).Get<SecretsOptions>()?.VaultUri;
        services.AddAzureClients(clients =>
        {
            clients.UseCredential(new DefaultAzureCredential());
            clients.AddClient<TableServiceClient, TableClientOptions>((options, credential, sp) =>
                StorageAccount.Tables(configuration, options, credential, sp.GetRequiredService<StorageTransport>()));
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, credential, sp) =>
                StorageAccount.Queues(configuration, options, credential, sp.GetRequiredService<StorageTransport>()));
            clients.AddClient<BlobServiceClient, BlobClientOptions>((options, credential, sp) =>
                StorageAccount.Blobs(configuration, options, credential, sp.GetRequiredService<StorageTransport>()));
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, credential, sp) =>
                StorageAccount.Queues(configuration, options, credential, sp.GetRequiredService<StorageTransport>(), QueueMessageEncoding.None))
                .WithName(Queues.UndecodedClient);
            if (vaultUri is not null)
                clients.AddSecretClient(vaultUri);
        });
        services.AddSingleton(sp => new SecretStore(
            vaultUri is null ? null : sp.GetRequiredService<SecretClient>(),
            configuration, sp.GetRequiredService<IOptions<SecretsOptions>>(), sp.GetRequiredService<TimeProvider>()));

        services.AddSingleton<StorageTransport>();
        services.AddSingleton<Tables>();
        services.AddSingleton<WorkIndex>();
        services.AddSingleton<RetentionIndex>();
        services.AddSingleton<RetentionSweep>();
        services.AddSingleton<TimerLeases>();
        services.AddSingleton(sp => DeliveryLog.Retention(sp.GetRequiredService<IOptions<RetentionOptions>>().Value.DeliveriesAfter));
        services.AddSingleton<Queues>();
        services.AddSingleton<DeadLetters>();
        services.AddSingleton<StorageHealth>();
        services.AddSingleton<TokenProtector>();
        services.AddSingleton<ConnectionStore>();
        services.AddSingleton<ReturnUrlPolicy>();
        services.AddSingleton<ConnectFlow>();
        services.AddSingleton<ConnectApi>();
        services.AddSingleton<ConnectionsApi>();
        services.AddSingleton<HealthApi>();
        services.AddSingleton<ConnectionTokens>();
        services.AddSingleton<TradeStore>();
        services.AddSingleton<TradeQueue>();
        services.AddSingleton<GroupedTradeQueue>();
        services.AddSingleton<OrderFollowUp>();
        services.AddSingleton<TradeExecutor>();
        services.AddSingleton<TradeDispatch>();
        services.AddHostedService(sp => sp.GetRequiredService<TradeDispatch>());
        services.AddSingleton<OrphanOrders>();
        services.AddSingleton<OpenTradeBackfill>();
        services.AddSingleton<TradeStatusSync>();
        services.AddSingleton<TradeIntake>();
        services.AddSingleton<InProcessTradeIntake>();
        services.AddSignalFanOut(configuration);
        services.AddSingleton<TradeCancellation>();
        services.AddSingleton<TradesApi>();
        services.AddSingleton<BrokerageReadsApi>();
        services.AddSingleton<AgentTokenStore>();
        services.AddSingleton<AgentTokensApi>();
        services.AddSingleton<AgentAuthentication>();
        services.AddSingleton<TradePreviewStore>();
        services.AddSingleton<AgentTrading>();
        services.AddSingleton<McpEndpoint>();
        // MCP for agents (/api/mcp): Streamable HTTP, stateless (every request stands alone, so any
        // instance of either host answers it), tools bound with the API's own JSON rules.
        services.AddMcpServer(o => o.ServerInfo = new() { Name = "alpaca-connect", Version = "1.0.0" })
            .WithHttpTransport(o => o.Stateless = true)
            .WithTools<AgentTools>(JsonBody.Options)
            // An agent sees only the tools its token lists (calling another is refused as well).
            .WithRequestFilters(filters => filters.AddListToolsFilter(next => async (context, ct) =>
            {
                var result = await next(context, ct);
                if ((context.User?.Identity as AgentIdentity)?.Token.ToolList is { } allowed)
                    result.Tools = [.. result.Tools.Where(t => allowed.Contains(t.Name))];
                return result;
            }));
        services.AddSignals(configuration);
        services.AddSingleton<SubscriptionStore>();
        services.AddSingleton<WebhookQueue>();
        services.AddSingleton<WebhookFanOut>();
        services.AddSingleton<IEventDispatcher>(sp => sp.GetRequiredService<WebhookFanOut>());
        services.AddSingleton<DeliveryLog>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<WebhooksApi>();
        services.AddSingleton<EventOutbox>();
        services.AddSingleton<OutboxSweep>();
        services.AddOutboxTable(Tables.Connections);
        services.AddOutboxTable(Tables.Trades);
        services.AddSchedules(configuration);
        services.AddSingleton(sp => new TargetGuard(sp.GetRequiredService<IOptions<WebhookOptions>>(),
            sp.GetService<IHostEnvironment>()?.IsDevelopment() ?? false));

        // Deliveries: no automatic redirects (a redirect could point inside the network), every
        // connection dialled through the guard, timeouts and retries owned by the dispatcher.
        services.AddHttpClient(WebhookDispatcher.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectCallback = sp.GetRequiredService<TargetGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });

        // Codes are single-use: the token call is never retried, only bounded in time.
        services.AddHttpClient<AlpacaOAuthClient>((sp, http) => http.Timeout = sp.GetRequiredService<IOptions<AlpacaOptions>>().Value.Timeout);
        services.AddHttpClient<AlpacaTradingClient>()
            .AddStandardResilienceHandler()
            .Configure((o, sp) =>
            {
                var alpaca = sp.GetRequiredService<IOptions<AlpacaOptions>>().Value;
                o.AttemptTimeout.Timeout = alpaca.Timeout;
                o.TotalRequestTimeout.Timeout = alpaca.Timeout * 4;
                o.CircuitBreaker.SamplingDuration = alpaca.Timeout * 3;
                // Alpaca limits each account separately; one user's 429s or a flaky moment must not
                // break the circuit for every other user, so the breaker never opens.
                o.CircuitBreaker.ShouldHandle = _ => ValueTask.FromResult(false);
                // An order placed twice is worse than an order not placed: only safe methods retry here;
                // order submission has its own exactly-once path (Trading/TradeExecutor).
                o.Retry.DisableForUnsafeHttpMethods();
                o.Retry.MaxRetryAttempts = 2;
            });
        // A handled retry is not an error: Polly reports each retried attempt at Error (the first at
        // Warning). Attempts are detail; the code that made the call logs what they came to.
        services.ConfigureAll<TelemetryOptions>(o => o.SeverityProvider = e => e.Event.EventName switch
        {
            "ExecutionAttempt" => ResilienceEventSeverity.Debug,
            "OnRetry" => ResilienceEventSeverity.Information,
            _ => e.Event.Severity,
        });

        services.AddHostedService<StartupReport>();
        return services;
    }
}
