using System.Security.Cryptography;
using System.Text;

namespace AlpacaConnect.Sandbox.OAuth;

/// <summary>
/// PKCE (RFC 7636) as an OAuth server does it. Alpaca documents no PKCE; the Sandbox implements it
/// so the app's optional PKCE (Connect:UsePkce) is tested end to end.
/// </summary>
internal static class Pkce
{
    public const string S256 = "S256";
    public const string Plain = "plain";

    /// <summary>43 to 128 unreserved characters (RFC 7636 sections 4.1 and 4.2), for both the verifier and a challenge.</summary>
    public static bool IsWellFormed(string? value) =>
        value is { Length: >= 43 and <= 128 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    /// <summary>
    /// Whether the token request's verifier fits the code: a code issued with a challenge needs the
    /// matching verifier, and a verifier is refused for a code issued without one (RFC 9700 section
    /// 4.8.2, so PKCE cannot be downgraded).
    /// </summary>
    public static bool Verifies(AuthorizationCode code, string? verifier)
    {
        if (code.CodeChallenge is null)
        {
            return verifier is null;
        }

        if (!IsWellFormed(verifier))
        {
            return false;
        }

        var expected = code.CodeChallengeMethod == S256
            ? Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier!))).TrimEnd('=').Replace('+', '-').Replace('/', '_')
            : verifier!;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(code.CodeChallenge));
    }
}
