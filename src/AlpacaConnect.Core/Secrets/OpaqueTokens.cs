using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;

namespace AlpacaConnect.Core.Secrets;

/// <summary>
/// Random values handed out once (link ids, OAuth states, PKCE verifiers). Only their SHA-256 is
/// stored, so someone who can read the table still cannot redeem what is in it.
/// </summary>
public static class OpaqueTokens
{
    public static string New() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string value) => Hashing.Sha256Hex(value);

    /// <summary>Plausible shape before any lookup: 43 base64url characters.</summary>
    public static bool LooksValid(string? value) =>
        value is { Length: 43 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
