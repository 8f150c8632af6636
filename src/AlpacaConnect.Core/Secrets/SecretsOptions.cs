using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Secrets;

public sealed class SecretsOptions
{
    public const string Section = "KeyVault";

    /// <summary>https://&lt;name&gt;.vault.azure.net/. Empty: secrets come from configuration (local runs only).</summary>
    public Uri? VaultUri { get; set; }

    /// <summary>How long a latest-version value is reused before Key Vault is asked again, so rotation lands without a restart.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);
}
