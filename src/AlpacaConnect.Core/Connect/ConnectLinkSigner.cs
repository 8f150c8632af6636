using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AlpacaConnect.Core.Alpaca;
using Microsoft.AspNetCore.WebUtilities;

namespace AlpacaConnect.Core.Connect;

/// <summary>
/// Links a web app signs itself, without calling us: HMAC-SHA256 with the link-signing secret over
/// "user_id\nenv\nreturn_url\nexpires". Anyone without the secret cannot mint one for another user.
/// </summary>
public static class ConnectLinkSigner
{
    public static string Signature(string secret, string userId, string env, string returnUrl, long expiresUnix)
    {
        var message = string.Join('\n', userId, env, returnUrl, expiresUnix.ToString(CultureInfo.InvariantCulture));
        return WebEncoders.Base64UrlEncode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(message)));
    }

    /// <summary>The query string of a signed authorize link.</summary>
    public static string Query(string secret, string userId, AlpacaEnv env, string returnUrl, DateTimeOffset expires)
    {
        var unix = expires.ToUnixTimeSeconds();
        var signature = Signature(secret, userId, env.ToWire(), returnUrl, unix);
        return $"user_id={Uri.EscapeDataString(userId)}&env={env.ToWire()}&return_url={Uri.EscapeDataString(returnUrl)}" +
               $"&expires={unix.ToString(CultureInfo.InvariantCulture)}&signature={signature}";
    }

    public static bool Verify(string secret, string userId, string env, string returnUrl, long expiresUnix, string signature)
    {
        var expected = Encoding.ASCII.GetBytes(Signature(secret, userId, env, returnUrl, expiresUnix));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
