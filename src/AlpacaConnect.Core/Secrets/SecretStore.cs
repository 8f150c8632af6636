using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Secrets;

/// <summary>A secret's value and the version it came from.</summary>
public sealed record SecretValue(string Value, string Version)
{
    // Never let a secret reach a log line or an exception message through ToString().
    public override string ToString() => $"SecretValue(version {Version})";
}

public sealed class SecretNotFoundException(string name)
    : Exception($"Secret '{name}' is not configured.")
{
    public string SecretName { get; } = name;
}

/// <summary>
/// Key Vault secrets with a short cache: latest values expire after <see cref="SecretsOptions.CacheDuration"/>
/// (so rotation is picked up), pinned versions never change and are kept. Without a vault, values
/// come from configuration (<see cref="ConfigurationKey"/>) under the version "config".
/// </summary>
public sealed class SecretStore
{
    public const string ConfigurationVersion = "config";

    private readonly SecretClient? _client;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly TimeSpan _cacheDuration;
    private readonly ConcurrentDictionary<string, (SecretValue Value, DateTimeOffset Expires)> _latest = new();
    private readonly ConcurrentDictionary<(string, string), SecretValue> _pinned = new();

    public SecretStore(SecretClient? client, IConfiguration configuration, IOptions<SecretsOptions> options, TimeProvider time)
    {
        _client = client;
        _configuration = configuration;
        _time = time;
        _cacheDuration = options.Value.CacheDuration;
    }

    public bool UsesKeyVault => _client is not null;

    /// <summary>The current version of a secret.</summary>
    public async Task<SecretValue> GetAsync(string name, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_latest.TryGetValue(name, out var cached) && cached.Expires > now)
            return cached.Value;

        var value = _client is null ? FromConfiguration(name) : await FromVaultAsync(name, version: null, ct);
        _latest[name] = (value, now + _cacheDuration);
        _pinned[(name, value.Version)] = value;
        return value;
    }

    /// <summary>A specific version, e.g. the key that encrypted a stored token.</summary>
    public async Task<SecretValue> GetVersionAsync(string name, string version, CancellationToken ct)
    {
        if (_pinned.TryGetValue((name, version), out var cached))
            return cached;
        var value = _client is null || version == ConfigurationVersion
            ? FromConfiguration(name)
            : await FromVaultAsync(name, version, ct);
        _pinned[(name, version)] = value;
        return value;
    }

    private SecretValue FromConfiguration(string name)
    {
        var value = _configuration[ConfigurationKey(name)];
        return string.IsNullOrEmpty(value) ? throw new SecretNotFoundException(name) : new SecretValue(value, ConfigurationVersion);
    }

    /// <summary>
    /// "alpaca-client-secret" -> "Secrets:alpacaclientsecret" (keys are case-insensitive, so
    /// Secrets__AlpacaClientSecret works as an environment variable, where dashes do not).
    /// </summary>
    public static string ConfigurationKey(string name) => "Secrets:" + name.Replace("-", "", StringComparison.Ordinal);

    private async Task<SecretValue> FromVaultAsync(string name, string? version, CancellationToken ct)
    {
        try
        {
            KeyVaultSecret secret = (await _client!.GetSecretAsync(name, version, ct)).Value;
            return new SecretValue(secret.Value, secret.Properties.Version ?? version ?? "");
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new SecretNotFoundException(name);
        }
    }
}
