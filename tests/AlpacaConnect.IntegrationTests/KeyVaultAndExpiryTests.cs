using System.Net;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace AlpacaConnect.IntegrationTests;

/// <summary>Key Vault (a mocked SecretClient: no emulator exists) and the clock (a fake one), through the real flow.</summary>
public sealed class KeyVaultAndExpiryTests
{
    private static readonly Dictionary<string, string?> VaultSettings = new()
    {
        ["KeyVault:VaultUri"] = "https://test-vault.vault.azure.net/",
        ["KeyVault:CacheDuration"] = "00:05:00",
        // Proves the values come from the vault: configuration holds nothing usable.
        ["Secrets:AlpacaClientSecret"] = "",
        ["Secrets:TokenEncryptionKey"] = "",
        ["Secrets:LinkSigningSecret"] = "",
    };

    [Fact]
    public async Task A_wrong_client_secret_fails_the_callback_clearly_and_a_rotated_one_is_picked_up_after_the_cache_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var vault = new FakeVault();
        vault.Set(SecretNames.AlpacaClientSecret, "v1", "not-the-sandbox-secret");
        vault.Set(SecretNames.TokenEncryptionKey, "k1", Convert.ToBase64String(new byte[32]));
        vault.Set(SecretNames.LinkSigningSecret, "s1", "vault-link-secret");

        await using var s = await TestSystem.StartAsync(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton(vault.Client.Object);
        }, VaultSettings);

        var failed = await s.Browser.GetAsync(await AllowAsync(s, "kate"));
        Assert.Equal(HttpStatusCode.Redirect, failed.StatusCode);
        Assert.Equal(TestSystem.ReturnOrigin + "/connected?alpaca_connect=error&env=paper&reason=exchange_failed", failed.Headers.Location!.ToString());
        Assert.Equal(0, await s.CountRowsAsync(Tables.Connections));
        Assert.Contains(s.Logs.Lines, l => l.Contains("invalid_client", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains("not-the-sandbox-secret", StringComparison.Ordinal));

        // Rotate in the vault: still the cached (wrong) value within the cache window ...
        vault.Set(SecretNames.AlpacaClientSecret, "v2", TestSystem.ClientSecret);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Contains("reason=exchange_failed", (await s.Browser.GetAsync(await AllowAsync(s, "kate"))).Headers.Location!.ToString());

        // ... and the new one once it expires, without a restart.
        time.Advance(TimeSpan.FromMinutes(2));
        var connected = await s.Browser.GetAsync(await AllowAsync(s, "kate"));
        Assert.Equal(TestSystem.ReturnOrigin + "/connected?alpaca_connect=connected&env=paper", connected.Headers.Location!.ToString());
        var row = (await s.Table(Tables.Connections).GetEntityAsync<Azure.Data.Tables.TableEntity>("kate", "paper")).Value;
        Assert.Equal("k1", row.GetString("TokenKeyVersion"));
    }

    [Fact]
    public async Task Tokens_stay_readable_after_the_encryption_key_rotates()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var vault = new FakeVault();
        vault.Set(SecretNames.AlpacaClientSecret, "v1", TestSystem.ClientSecret);
        vault.Set(SecretNames.TokenEncryptionKey, "k1", Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray()));
        vault.Set(SecretNames.LinkSigningSecret, "s1", "vault-link-secret");
        await using var s = await TestSystem.StartAsync(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton(vault.Client.Object);
        }, VaultSettings);

        await s.Browser.GetAsync(await AllowAsync(s, "leo"));
        vault.Set(SecretNames.TokenEncryptionKey, "k2", Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray()));
        time.Advance(TimeSpan.FromMinutes(6));
        await s.Browser.GetAsync(await AllowAsync(s, "mia"));

        var store = s.Services.GetRequiredService<Core.Connections.ConnectionStore>();
        Assert.NotNull(await store.GetActiveWithTokenAsync("leo", Core.Alpaca.AlpacaEnv.Paper, default));
        Assert.NotNull(await store.GetActiveWithTokenAsync("mia", Core.Alpaca.AlpacaEnv.Paper, default));
        Assert.Equal("k1", (await s.Table(Tables.Connections).GetEntityAsync<Azure.Data.Tables.TableEntity>("leo", "paper")).Value.GetString("TokenKeyVersion"));
        Assert.Equal("k2", (await s.Table(Tables.Connections).GetEntityAsync<Azure.Data.Tables.TableEntity>("mia", "paper")).Value.GetString("TokenKeyVersion"));
    }

    [Fact]
    public async Task Expired_links_and_expired_states_are_refused_and_store_nothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await TestSystem.StartAsync(services => services.AddSingleton<TimeProvider>(time));

        var link = await s.CreateLinkAsync("nina");
        time.Advance(TimeSpan.FromMinutes(11));
        var expiredLink = await s.Browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Gone, expiredLink.StatusCode);
        Assert.Contains("expired", await expiredLink.Content.ReadAsStringAsync());
        Assert.Equal(0, await s.CountRowsAsync(Tables.OAuthStates));

        var callbackUrl = await AllowAsync(s, "nina");
        time.Advance(TimeSpan.FromMinutes(11));
        var expiredState = await s.Browser.GetAsync(callbackUrl);
        Assert.Equal(TestSystem.ReturnOrigin + "/connected?alpaca_connect=error&env=paper&reason=expired", expiredState.Headers.Location!.ToString());
        Assert.Equal(0, await s.CountRowsAsync(Tables.Connections));
    }

    private static async Task<Uri> AllowAsync(TestSystem s, string userId)
    {
        var consentUrl = (await s.Browser.GetAsync(await s.CreateLinkAsync(userId))).Headers.Location!;
        var allowed = await ConsentPage.SubmitAsync(s.Browser, consentUrl, "allow", username: userId);
        Assert.NotNull(QueryHelpers.ParseQuery(allowed.Headers.Location!.Query)["code"].ToString());
        return allowed.Headers.Location!;
    }

    /// <summary>A Key Vault in a mock: the latest version answers by name, older ones by version.</summary>
    private sealed class FakeVault
    {
        private readonly Dictionary<string, (string Version, string Value)> _latest = new();
        private readonly Dictionary<(string, string), string> _versions = new();

        public Mock<SecretClient> Client { get; } = new();

        public FakeVault()
        {
            Client.Setup(c => c.GetSecretAsync(It.IsAny<string>(), It.IsAny<string?>(), It.IsAny<CancellationToken>()))
                .ReturnsAsync((string name, string? version, CancellationToken _) =>
                {
                    lock (_latest)
                    {
                        var (v, value) = version is null ? _latest[name] : (version, _versions[(name, version)]);
                        return Response.FromValue(SecretModelFactory.KeyVaultSecret(SecretModelFactory.SecretProperties(name: name, version: v), value), Mock.Of<Response>());
                    }
                });
        }

        public void Set(string name, string version, string value)
        {
            lock (_latest)
            {
                _latest[name] = (version, value);
                _versions[(name, version)] = value;
            }
        }
    }
}
