using System.Globalization;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Connect;

/// <summary>Where a browser goes next: a redirect, or a page that says what went wrong.</summary>
public sealed record BrowserOutcome(
    Uri? RedirectTo, int Status = StatusCodes.Status302Found, string? Title = null, string? Message = null, Uri? Link = null, string? LinkText = null)
{
    public static BrowserOutcome Redirect(Uri to) => new(to);

    public static BrowserOutcome Page(int status, string title, string message) => new(null, status, title, message);

    /// <summary>A page with a link onwards (the browser is not sent there by itself).</summary>
    public static BrowserOutcome PageWithLink(int status, string title, string message, Uri link, string linkText) =>
        new(null, status, title, message, link, linkText);
}

/// <summary>
/// The Connect flow: a link the app issued -> a single-use OAuth state -> Alpaca's consent ->
/// the callback that exchanges the code, reads the account and stores the connection.
/// </summary>
public sealed partial class ConnectFlow
{
    /// <summary>Query parameters added to the return URL; the app branches on them.</summary>
    public const string ResultParameter = "alpaca_connect";
    public const string EnvParameter = "env";
    public const string ReasonParameter = "reason";

    private readonly SingleUseTickets _links;
    private readonly SingleUseTickets _states;
    private readonly ReturnUrlPolicy _returnUrls;
    private readonly ConnectOptions _options;
    private readonly AlpacaOptions _alpaca;
    private readonly AlpacaOAuthClient _oauth;
    private readonly AlpacaTradingClient _trading;
    private readonly ConnectionStore _connections;
    private readonly SecretStore _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger<ConnectFlow> _logger;

    public ConnectFlow(Tables tables, ReturnUrlPolicy returnUrls, IOptions<ConnectOptions> options, IOptions<AlpacaOptions> alpaca,
        AlpacaOAuthClient oauth, AlpacaTradingClient trading, ConnectionStore connections, SecretStore secrets,
        RetentionIndex retention, TimeProvider time, ILogger<ConnectFlow> logger)
    {
        _links = new SingleUseTickets(tables, Tables.ConnectLinks, retention, time);
        _states = new SingleUseTickets(tables, Tables.OAuthStates, retention, time);
        _returnUrls = returnUrls;
        _options = options.Value;
        _alpaca = alpaca.Value;
        _oauth = oauth;
        _trading = trading;
        _connections = connections;
        _secrets = secrets;
        _time = time;
        _logger = logger;
    }

    /// <summary>A single-use authorize URL for one user (the caller is already authenticated by key).</summary>
    public async Task<(Uri Url, DateTimeOffset ExpiresAt)> CreateLinkAsync(ConnectIntent intent, CancellationToken ct)
    {
        var (ticket, expiresAt) = await _links.IssueAsync(intent, _options.LinkLifetime, codeVerifier: null, ct);
        var url = new Uri(QueryHelpers.AddQueryString(_options.AuthorizeEndpoint.AbsoluteUri, "link", ticket));
        return (url, expiresAt);
    }

    /// <summary>Redeems a link (issued or signed), stores a fresh state and sends the browser to Alpaca.</summary>
    public async Task<BrowserOutcome> BeginAsync(IQueryCollection query, CancellationToken ct)
    {
        var (intent, refusal) = query.ContainsKey("link")
            ? await RedeemIssuedLinkAsync(query["link"], ct)
            : await RedeemSignedLinkAsync(query, ct);
        if (intent is null)
            return refusal!;

        var verifier = _options.UsePkce ? Pkce.NewVerifier() : null;
        var (state, _) = await _states.IssueAsync(intent, _options.StateLifetime, verifier, ct);
        var parameters = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = _alpaca.ClientId,
            ["redirect_uri"] = _options.EffectiveCallbackUrl.AbsoluteUri,
            ["state"] = state,
            ["scope"] = _alpaca.Scopes,
            ["env"] = intent.Env.ToWire(),
        };
        if (verifier is not null)
        {
            parameters["code_challenge"] = Pkce.Challenge(verifier);
            parameters["code_challenge_method"] = Pkce.Method;
        }
        var authorize = QueryHelpers.AddQueryString(_alpaca.AuthorizeUrl.AbsoluteUri, parameters);
        LogBegin(intent.UserId, intent.Env.ToWire());
        return BrowserOutcome.Redirect(new Uri(authorize));
    }

    /// <summary>Alpaca's redirect back: check the state, exchange the code, read the account, store the connection.</summary>
    public async Task<BrowserOutcome> CompleteAsync(IQueryCollection query, CancellationToken ct)
    {
        string? state = query["state"];
        if (string.IsNullOrEmpty(state))
            return BrowserOutcome.Page(400, "Connection failed", "The callback has no state parameter, so it cannot be matched to a connection attempt. Start again from the app.");

        var redemption = await _states.RedeemAsync(state, ct);
        switch (redemption.Outcome)
        {
            case RedeemOutcome.Unknown:
                return BrowserOutcome.Page(400, "Connection failed", "This sign-in attempt is not one we started. Start again from the app.");
            case RedeemOutcome.AlreadyUsed when redemption.Completed:
                // Back, then Allow again: Alpaca sent a fresh code for a state that already connected.
                // Nothing is exchanged or stored; the user only needs the way back to the app.
                return BrowserOutcome.PageWithLink(200, "Already connected",
                    "This sign-in attempt was already completed and your Alpaca account is connected. There is nothing more to do here.",
                    ConnectResultUrl.Build(redemption.Intent!.ReturnUrl, redemption.Intent.Env, reason: null), "Back to the app");
            case RedeemOutcome.AlreadyUsed:
                return BrowserOutcome.Page(400, "Connection failed", "This sign-in attempt was already completed; it cannot be used twice. Start again from the app.");
            case RedeemOutcome.Expired:
                return BackToApp(redemption.Intent!, "expired");
        }

        var intent = redemption.Intent!;
        string? error = query["error"];
        if (!string.IsNullOrEmpty(error))
        {
            LogDeclined(intent.UserId, error);
            return BackToApp(intent, error == "access_denied" ? "access_denied" : "authorization_failed");
        }
        string? code = query["code"];
        if (string.IsNullOrEmpty(code))
            return BackToApp(intent, "authorization_failed");

        AlpacaResult<AlpacaOAuthClient.TokenGrant> grant;
        try
        {
            grant = await _oauth.ExchangeCodeAsync(code, _options.EffectiveCallbackUrl, redemption.CodeVerifier, ct);
        }
        catch (SecretNotFoundException ex)
        {
            LogSecretMissing(ex.SecretName);
            return BackToApp(intent, "exchange_failed");
        }
        if (!grant.IsSuccess)
        {
            LogAlpacaRefused("token exchange", intent.UserId, grant.Error!.Status, grant.Error.Code, grant.Error.Message);
            return BackToApp(intent, "exchange_failed");
        }

        var token = grant.Value!.AccessToken;
        var account = await _trading.GetAccountAsync(intent.Env, token, ct);
        if (!account.IsSuccess)
        {
            LogAlpacaRefused("account read", intent.UserId, account.Error!.Status, account.Error.Code, account.Error.Message);
            return BackToApp(intent, "account_unavailable");
        }

        var result = await _connections.ConnectAsync(intent.UserId, intent.Env, account.Value!, grant.Value.Scope, token, _options.AllowSharedAccounts, ct);
        if (result.Connection is not { } connection)
        {
            // The token is dropped unstored; Alpaca has no revoke endpoint (the user can revoke the app in its dashboard).
            LogRefused(intent.UserId, intent.Env.ToWire(), account.Value!.Id, result.HeldBy!, result.RefusedReason!);
            return BackToApp(intent, result.RefusedReason);
        }
        LogConnected(intent.UserId, connection.Env, connection.AccountId);
        await MarkStateCompletedAsync(state, intent.UserId, ct);
        return BackToApp(intent, reason: null);
    }

    /// <summary>Best effort: without the mark a repeated callback ends on the plain "already used" page.</summary>
    private async Task MarkStateCompletedAsync(string state, string userId, CancellationToken ct)
    {
        try
        {
            await _states.MarkCompletedAsync(state, ct);
        }
        catch (Azure.RequestFailedException ex)
        {
            LogCompletionNotRecorded(userId, ex.Status);
        }
    }

    private async Task<(ConnectIntent?, BrowserOutcome?)> RedeemIssuedLinkAsync(string? link, CancellationToken ct)
    {
        var redemption = await _links.RedeemAsync(link, ct);
        return redemption.Outcome switch
        {
            RedeemOutcome.Redeemed => (redemption.Intent, null),
            RedeemOutcome.Expired => (null, BrowserOutcome.Page(410, "This link has expired", "Connect links are valid for a few minutes. Go back to the app and start again.")),
            RedeemOutcome.AlreadyUsed => (null, BrowserOutcome.Page(410, "This link was already used", "Each connect link works once. Go back to the app and start again.")),
            _ => (null, BrowserOutcome.Page(404, "Unknown link", "This connect link is not valid. Go back to the app and start again.")),
        };
    }

    private async Task<(ConnectIntent?, BrowserOutcome?)> RedeemSignedLinkAsync(IQueryCollection query, CancellationToken ct)
    {
        string? userId = query["user_id"], env = query["env"], returnUrl = query["return_url"], expires = query["expires"], signature = query["signature"];
        if (userId is null || env is null || returnUrl is null || expires is null || signature is null)
            return (null, BrowserOutcome.Page(400, "Incomplete link", "A connect link needs either 'link', or 'user_id', 'env', 'return_url', 'expires' and 'signature'."));
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresUnix))
            return (null, BrowserOutcome.Page(400, "Invalid link", "'expires' must be a unix time in seconds."));

        var secret = await _secrets.GetAsync(SecretNames.LinkSigningSecret, ct);
        if (!ConnectLinkSigner.Verify(secret.Value, userId, env, returnUrl, expiresUnix, signature))
            return (null, BrowserOutcome.Page(403, "Invalid link", "The link's signature does not match. It was changed or not issued by the app."));

        var now = _time.GetUtcNow();
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expiresUnix);
        if (expiresAt <= now)
            return (null, BrowserOutcome.Page(410, "This link has expired", "Go back to the app and start again."));
        // A signed link may not outlive what an issued one would: a leaked link goes stale fast.
        if (expiresAt > now + _options.LinkLifetime + TimeSpan.FromMinutes(1))
            return (null, BrowserOutcome.Page(400, "Invalid link", $"A signed link may expire at most {_options.LinkLifetime.TotalMinutes:0} minutes ahead."));
        if (!UserIds.IsValid(userId) || !AlpacaEnvNames.TryParse(env, out var alpacaEnv))
            return (null, BrowserOutcome.Page(400, "Invalid link", $"user_id must be {UserIds.Rule}; env must be paper or live."));
        if (!_returnUrls.IsAllowed(returnUrl, out var returnUri))
            return (null, BrowserOutcome.Page(400, "Invalid link", "The return URL is not on this app's allowlist."));

        var intent = new ConnectIntent(userId, alpacaEnv, returnUri);
        return await _links.ClaimAsync(signature, intent, expiresAt, ct)
            ? (intent, null)
            : (null, BrowserOutcome.Page(410, "This link was already used", "Each connect link works once. Go back to the app and start again."));
    }

    private static BrowserOutcome BackToApp(ConnectIntent intent, string? reason) =>
        BrowserOutcome.Redirect(ConnectResultUrl.Build(intent.ReturnUrl, intent.Env, reason));

    [LoggerMessage(LogLevel.Information, "Connect started for user {UserId} on {Env}")]
    private partial void LogBegin(string userId, string env);

    [LoggerMessage(LogLevel.Information, "User {UserId} declined or failed consent: {OAuthError}")]
    private partial void LogDeclined(string userId, string oauthError);

    [LoggerMessage(LogLevel.Error, "Secret {SecretName} is missing; the code exchange cannot run")]
    private partial void LogSecretMissing(string secretName);

    [LoggerMessage(LogLevel.Warning, "Alpaca refused the {Step} for user {UserId}: HTTP {Status}, code {AlpacaCode}, {AlpacaMessage}")]
    private partial void LogAlpacaRefused(string step, string userId, int status, int? alpacaCode, string alpacaMessage);

    [LoggerMessage(LogLevel.Warning, "User {UserId} is connected, but the state could not be marked completed (HTTP {Status}); a repeated callback will not offer the way back")]
    private partial void LogCompletionNotRecorded(string userId, int status);

    [LoggerMessage(LogLevel.Warning, "Connect refused for user {UserId}: {Env} account {AccountId} is held by user {HeldBy} ({Reason}); nothing stored")]
    private partial void LogRefused(string userId, string env, string accountId, string heldBy, string reason);

    [LoggerMessage(LogLevel.Information, "User {UserId} connected {Env} account {AccountId}")]
    private partial void LogConnected(string userId, string env, string accountId);
}
