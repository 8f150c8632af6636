using System.Security.Cryptography;
using AlpacaConnect.Core.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.UnitTests.Secrets;

public sealed class TokenProtectorTests
{
    private static TokenProtector Protector(string key) => new(new SecretStore(null,
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Secrets:TokenEncryptionKey"] = key }).Build(),
        Options.Create(new SecretsOptions()), TimeProvider.System));

    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private const string Token = "oauth-token-5f1b2c3d4e";

    [Fact]
    public async Task A_token_round_trips_and_is_never_stored_in_clear()
    {
        var protector = Protector(Key);
        var sealedToken = await protector.ProtectAsync(Token, "alice|paper", default);
        Assert.DoesNotContain(Token, sealedToken.Ciphertext, StringComparison.Ordinal);
        Assert.Equal("config", sealedToken.KeyVersion);
        Assert.Equal(Token, await protector.UnprotectAsync(sealedToken, "alice|paper", default));

        // A fresh nonce each time: the same token never encrypts to the same bytes.
        Assert.NotEqual(sealedToken.Ciphertext, (await protector.ProtectAsync(Token, "alice|paper", default)).Ciphertext);
    }

    [Fact]
    public async Task A_ciphertext_moved_to_another_owner_or_altered_does_not_open()
    {
        var protector = Protector(Key);
        var sealedToken = await protector.ProtectAsync(Token, "alice|paper", default);
        await Assert.ThrowsAnyAsync<CryptographicException>(() => protector.UnprotectAsync(sealedToken, "mallory|paper", default));

        var bytes = Convert.FromBase64String(sealedToken.Ciphertext);
        bytes[^1] ^= 1;
        await Assert.ThrowsAnyAsync<CryptographicException>(() =>
            protector.UnprotectAsync(sealedToken with { Ciphertext = Convert.ToBase64String(bytes) }, "alice|paper", default));
    }

    [Theory]
    [InlineData("c2hvcnQ=")]
    [InlineData("not base64 at all!")]
    public async Task A_malformed_key_is_reported_without_revealing_it(string key)
    {
        var error = await Assert.ThrowsAsync<CryptographicException>(() => Protector(key).ProtectAsync(Token, "a|paper", default));
        Assert.Contains("token-encryption-key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal);
    }
}
