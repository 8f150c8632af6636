using System.Security.Cryptography;
using System.Text;
using AlpacaConnect.Core.Secrets;
using Microsoft.AspNetCore.WebUtilities;

namespace AlpacaConnect.Core.Connect;

/// <summary>
/// PKCE (RFC 7636, method S256), sent when Connect:UsePkce is on. The verifier is kept with the
/// single-use state (server side only); the authorize redirect carries its challenge and the token
/// exchange the verifier, so a code redeemed in any other flow than the one it was issued to fails
/// at the token endpoint (RFC 9700 section 4.5). Alpaca documents no PKCE.
/// </summary>
internal static class Pkce
{
    public const string Method = "S256";

    /// <summary>32 random bytes, base64url: 43 characters, within RFC 7636's 43 to 128.</summary>
    public static string NewVerifier() => OpaqueTokens.New();

    /// <summary>BASE64URL(SHA256(ASCII(verifier))).</summary>
    public static string Challenge(string verifier) => WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}
