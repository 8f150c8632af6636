using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Connect;

/// <summary>No open redirect: a return URL must be absolute http(s) on an allowlisted origin.</summary>
public sealed class ReturnUrlPolicy
{
    private readonly HashSet<string> _origins;

    public ReturnUrlPolicy(IOptions<ConnectOptions> options)
    {
        _origins = options.Value.AllowedReturnOrigins
            .Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(o => Uri.TryCreate(o, UriKind.Absolute, out var uri) ? Origin(uri) : o)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public bool IsAllowed(string? returnUrl, out Uri uri)
    {
        uri = null!;
        if (string.IsNullOrEmpty(returnUrl) || !Uri.TryCreate(returnUrl, UriKind.Absolute, out var parsed))
            return false;
        if (parsed.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(parsed.UserInfo))
            return false;
        uri = parsed;
        return _origins.Contains(Origin(parsed));
    }

    private static string Origin(Uri uri) => $"{uri.Scheme}://{uri.Host}:{uri.Port}";
}
