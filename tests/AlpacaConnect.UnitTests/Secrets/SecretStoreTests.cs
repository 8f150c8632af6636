using AlpacaConnect.Core.Secrets;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace AlpacaConnect.UnitTests.Secrets;

public sealed class SecretStoreTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly Mock<SecretClient> _vault = new(MockBehavior.Strict);
    private string _currentVersion = "v1";
    private readonly Dictionary<string, string> _values = new() { ["v1"] = "first", ["v2"] = "second" };

    public SecretStoreTests()
    {
        _vault.Setup(c => c.GetSecretAsync("alpaca-client-secret", It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string name, string? version, CancellationToken _) =>
            {
                var v = version ?? _currentVersion;
                return Response.FromValue(SecretModelFactory.KeyVaultSecret(SecretModelFactory.SecretProperties(name: name, version: v), _values[v]), Mock.Of<Response>());
            });
        _vault.Setup(c => c.GetSecretAsync("missing", It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(404, "SecretNotFound"));
    }

    private SecretStore VaultStore() => new(_vault.Object, new ConfigurationBuilder().Build(),
        Options.Create(new SecretsOptions { CacheDuration = TimeSpan.FromMinutes(5) }), _time);

    [Fact]
    public async Task Latest_values_are_cached_then_refreshed_so_rotation_needs_no_restart()
    {
        var store = VaultStore();
        Assert.Equal(new SecretValue("first", "v1"), await store.GetAsync("alpaca-client-secret", default));

        _currentVersion = "v2";
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("first", (await store.GetAsync("alpaca-client-secret", default)).Value);
        _vault.Verify(c => c.GetSecretAsync("alpaca-client-secret", null, It.IsAny<CancellationToken>()), Times.Once);

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(new SecretValue("second", "v2"), await store.GetAsync("alpaca-client-secret", default));
        _vault.Verify(c => c.GetSecretAsync("alpaca-client-secret", null, It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Fact]
    public async Task Pinned_versions_are_fetched_once_and_kept()
    {
        var store = VaultStore();
        await store.GetAsync("alpaca-client-secret", default);
        Assert.Equal("first", (await store.GetVersionAsync("alpaca-client-secret", "v1", default)).Value);
        Assert.Equal("second", (await store.GetVersionAsync("alpaca-client-secret", "v2", default)).Value);
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal("second", (await store.GetVersionAsync("alpaca-client-secret", "v2", default)).Value);
        _vault.Verify(c => c.GetSecretAsync("alpaca-client-secret", "v1", It.IsAny<CancellationToken>()), Times.Never);
        _vault.Verify(c => c.GetSecretAsync("alpaca-client-secret", "v2", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_missing_vault_secret_is_named_in_the_error()
    {
        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => VaultStore().GetAsync("missing", default));
        Assert.Equal("missing", error.SecretName);
    }

    [Fact]
    public async Task Without_a_vault_values_come_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Secrets:AlpacaClientSecret"] = "from-config",
        }).Build();
        var store = new SecretStore(null, config, Options.Create(new SecretsOptions()), _time);
        Assert.False(store.UsesKeyVault);
        Assert.Equal(new SecretValue("from-config", "config"), await store.GetAsync(SecretNames.AlpacaClientSecret, default));
        Assert.Equal("from-config", (await store.GetVersionAsync(SecretNames.AlpacaClientSecret, "config", default)).Value);
        await Assert.ThrowsAsync<SecretNotFoundException>(() => store.GetAsync(SecretNames.LinkSigningSecret, default));
    }

    [Fact]
    public void A_secret_value_never_prints_itself()
    {
        var value = new SecretValue("hunter2-secret", "v9");
        Assert.DoesNotContain("hunter2", value.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", $"{value}", StringComparison.Ordinal);
    }
}
