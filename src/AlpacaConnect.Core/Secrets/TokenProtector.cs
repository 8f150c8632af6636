using System.Security.Cryptography;
using System.Text;
namespace AlpacaConnect.Core.Secrets;

/// <summary>A secret value encrypted at rest, with the key version that can open it.</summary>
public sealed record ProtectedValue(string Ciphertext, string KeyVersion);

/// <summary>
/// AES-256-GCM with the key from Key Vault. The key version is stored beside the ciphertext so the
/// key can rotate: new tokens use the latest version, old ones open with theirs. The owner
/// (user id + env) is bound in as associated data, so a ciphertext copied to another row won't open.
/// </summary>
public sealed class TokenProtector(SecretStore secrets)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>Any secret value at rest (tokens, webhook signing secrets) under the same key.</summary>
    public async Task<ProtectedValue> ProtectAsync(string value, string owner, CancellationToken ct)
    {
        var key = await secrets.GetAsync(SecretNames.TokenEncryptionKey, ct);
        var plaintext = Encoding.UTF8.GetBytes(value);
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(KeyBytes(key), TagSize))
            aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(owner));
        return new ProtectedValue(Convert.ToBase64String(output), key.Version);
    }

    public async Task<string> UnprotectAsync(ProtectedValue token, string owner, CancellationToken ct)
    {
        var key = await secrets.GetVersionAsync(SecretNames.TokenEncryptionKey, token.KeyVersion, ct);
        var input = Convert.FromBase64String(token.Ciphertext);
        if (input.Length < NonceSize + TagSize)
            throw new CryptographicException("The stored token is truncated.");
        var plaintext = new byte[input.Length - NonceSize - TagSize];
        using (var aes = new AesGcm(KeyBytes(key), TagSize))
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(owner));
        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] KeyBytes(SecretValue key)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(key.Value);
        }
        catch (FormatException)
        {
            throw new CryptographicException($"Secret '{SecretNames.TokenEncryptionKey}' (version {key.Version}) is not base64.");
        }
        return bytes.Length == 32
            ? bytes
            : throw new CryptographicException($"Secret '{SecretNames.TokenEncryptionKey}' (version {key.Version}) must be 32 bytes, base64-encoded.");
    }
}
