using System.Security.Cryptography;
using System.Text;

namespace AlpacaConnect.Core.Secrets;

public static class Hashing
{
    /// <summary>SHA-256 of the UTF-8 text, as 64 lowercase hex digits.</summary>
    public static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
