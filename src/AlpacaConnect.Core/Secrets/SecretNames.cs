namespace AlpacaConnect.Core.Secrets;

/// <summary>The Key Vault secret names the app reads. Locally, without a vault, Secrets:AlpacaClientSecret etc. in configuration.</summary>
public static class SecretNames
{
    public const string AlpacaClientSecret = "alpaca-client-secret";

    /// <summary>Base64 of 32 random bytes; versioned, records keep the version that encrypted them.</summary>
    public const string TokenEncryptionKey = "token-encryption-key";

    /// <summary>HMAC key web apps use to sign connect links themselves.</summary>
    public const string LinkSigningSecret = "link-signing-secret";
}
