using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.Core.Connections;

/// <summary>The app's own user ids. Kept to characters that are safe as Table Storage keys and in URLs.</summary>
public static partial class UserIds
{
    public const string Rule = "1 to 128 characters: letters, digits and . _ - @ +";

    public static bool IsValid(string? userId) => userId is not null && Pattern().IsMatch(userId);

    /// <summary>
    /// The (user id, env) pair that addresses one connection, checked together: every problem is
    /// added to <paramref name="errors"/> under "user_id" and "env".
    /// </summary>
    public static AlpacaEnv Check(string? userId, string? env, Dictionary<string, string[]> errors)
    {
        if (!IsValid(userId))
            errors["user_id"] = [$"Must be {Rule}."];
        if (!AlpacaEnvNames.TryParse(env, out var alpacaEnv))
            errors["env"] = ["Must be 'paper' or 'live'."];
        return alpacaEnv;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._@+\-]{1,128}$")]
    private static partial Regex Pattern();
}
