using System.Text.RegularExpressions;

namespace AlpacaConnect.Core.Connections;

/// <summary>The app's own user ids. Kept to characters that are safe as Table Storage keys and in URLs.</summary>
public static partial class UserIds
{
    public const string Rule = "1 to 128 characters: letters, digits and . _ - @ +";

    public static bool IsValid(string? userId) => userId is not null && Pattern().IsMatch(userId);

    [GeneratedRegex(@"^[A-Za-z0-9._@+\-]{1,128}$")]
    private static partial Regex Pattern();
}
