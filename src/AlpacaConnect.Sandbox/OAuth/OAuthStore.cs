using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AlpacaConnect.Sandbox.Trading;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Sandbox.OAuth;

/// <summary>A registered OAuth app as the Sandbox sees it.</summary>
internal sealed record RegisteredClient(string ClientId, string ClientSecret, IReadOnlyList<string> RedirectUris)
{
    public bool SecretMatches(string? secret) =>
        secret is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(ClientSecret));

    public bool IsRegistered(string? redirectUri) => redirectUri is not null && RedirectUris.Contains(redirectUri, StringComparer.Ordinal);
}

/// <summary>What the user agreed to on the consent page; redeemed once for a token.</summary>
/// <param name="CodeChallenge">PKCE: null when the authorize request had none.</param>
internal sealed record AuthorizationCode(
    string Code, string ClientId, string RedirectUri, string Scope, TradingEnv? Env, string Username, DateTimeOffset ExpiresAt,
    string? CodeChallenge = null, string? CodeChallengeMethod = null);

/// <summary>An access token. Alpaca tokens never expire; they end only when the user revokes the app.</summary>
internal sealed class AccessGrant(string token, string clientId, string username, TradingEnv? env, string scope)
{
    private volatile bool _revoked;

    public string Token { get; } = token;

    public string ClientId { get; } = clientId;

    public string Username { get; } = username;

    /// <summary>Null: the user authorized both paper and live.</summary>
    public TradingEnv? Env { get; } = env;

    public string Scope { get; } = scope;

    public bool Revoked => _revoked;

    public bool HasScope(string scope) => Scope.Split(' ').Contains(scope, StringComparer.Ordinal);

    public void Revoke() => _revoked = true;
}

/// <summary>Registered apps, pending codes and issued tokens, all in memory.</summary>
internal sealed class OAuthStore
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, RegisteredClient> _clients;
    private readonly ConcurrentDictionary<string, AuthorizationCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccessGrant> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public OAuthStore(IOptions<SandboxOptions> options, TimeProvider time)
    {
        _time = time;
        _clients = options.Value.AllClients()
            .Where(c => !string.IsNullOrEmpty(c.ClientId))
            .GroupBy(c => c.ClientId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new RegisteredClient(g.Key, g.Last().ClientSecret, g.Last().RedirectUriList()), StringComparer.Ordinal);
    }

    public RegisteredClient? FindClient(string? clientId) =>
        clientId is not null && _clients.TryGetValue(clientId, out var client) ? client : null;

    public AuthorizationCode IssueCode(string clientId, string redirectUri, string scope, TradingEnv? env, string username,
        string? codeChallenge = null, string? codeChallengeMethod = null)
    {
        PruneExpiredCodes();
        var code = new AuthorizationCode(NewSecret(24), clientId, redirectUri, scope, env, username, _time.GetUtcNow() + CodeLifetime,
            codeChallenge, codeChallengeMethod);
        _codes[code.Code] = code;
        return code;
    }

    /// <summary>Removes the code whatever happens next: a code is single-use even when the exchange then fails.</summary>
    public AuthorizationCode? ConsumeCode(string code) => _codes.TryRemove(code, out var found) ? found : null;

    public AccessGrant IssueToken(AuthorizationCode code)
    {
        var grant = new AccessGrant(NewSecret(32), code.ClientId, code.Username, code.Env, code.Scope);
        _tokens[grant.Token] = grant;
        return grant;
    }

    /// <summary>The live grant for a bearer token, or null when unknown or revoked.</summary>
    public AccessGrant? FindToken(string token) =>
        _tokens.TryGetValue(token, out var grant) && !grant.Revoked ? grant : null;

    public int Revoke(string token)
    {
        if (_tokens.TryGetValue(token, out var grant) && !grant.Revoked)
        {
            grant.Revoke();
            return 1;
        }

        return 0;
    }

    public int RevokeUser(string username)
    {
        var count = 0;
        foreach (var grant in _tokens.Values.Where(g => !g.Revoked && g.Username == username))
        {
            grant.Revoke();
            count++;
        }

        return count;
    }

    public int CountActive(string? username) =>
        _tokens.Values.Count(g => !g.Revoked && (username is null || g.Username == username));

    public void Reset()
    {
        _codes.Clear();
        _tokens.Clear();
    }

    private void PruneExpiredCodes()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, code) in _codes)
        {
            if (code.ExpiresAt <= now - CodeLifetime)
            {
                _codes.TryRemove(key, out _);
            }
        }
    }

    // URL-safe so it survives query strings and form bodies unescaped.
    private static string NewSecret(int bytes) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
