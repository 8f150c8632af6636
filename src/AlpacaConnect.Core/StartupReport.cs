using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core;

/// <summary>At start: say where secrets and Alpaca come from, and make sure the tables and queues exist.</summary>
public sealed partial class StartupReport(SecretStore secrets, IOptions<AlpacaOptions> alpaca, Tables tables, Queues queues, ILogger<StartupReport> logger) : IHostedService
{
    /// <summary>The log category of the report (the Functions worker also writes it to its console).</summary>
    public const string Category = "AlpacaConnect.Core.StartupReport";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!secrets.UsesKeyVault)
            LogNoKeyVault();
        if (alpaca.Value.UsesSandbox)
            LogSandbox(alpaca.Value.SandboxUrl);
        await tables.CreateAllAsync(cancellationToken);
        await queues.CreateAllAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Running without Key Vault: KeyVault:VaultUri is not set, so secrets come from configuration (Secrets:AlpacaClientSecret, Secrets:TokenEncryptionKey, Secrets:LinkSigningSecret). Use this only for local runs.")]
    private partial void LogNoKeyVault();

    [LoggerMessage(LogLevel.Warning, "Alpaca:ClientId is not set: using the Sandbox at {SandboxUrl} instead of Alpaca.")]
    private partial void LogSandbox(Uri sandboxUrl);
}
