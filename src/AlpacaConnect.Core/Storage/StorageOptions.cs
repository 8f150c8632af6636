using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Prepended to every table and queue name; lets tests and several apps share one account.</summary>
    [RegularExpression("^[a-z0-9]{0,20}$", ErrorMessage = "Storage:Prefix must be up to 20 lowercase letters or digits.")]
    public string Prefix { get; set; } = "";
}
