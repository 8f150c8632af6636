using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Connect;

public sealed class ConnectOptions
{
    public const string Section = "Connect";

    /// <summary>This app's public origin, e.g. https://myapp.azurewebsites.net. Links and the callback hang off it.</summary>
    [Required]
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The redirect_uri registered with Alpaca. Default: {PublicBaseUrl}/api/oauth/callback.</summary>
    public Uri? CallbackUrl { get; set; }

    /// <summary>Origins (scheme://host[:port]) users may be sent back to, comma-separated. Nothing else is ever a redirect target.</summary>
    [Required(AllowEmptyStrings = false)]
    public string AllowedReturnOrigins { get; set; } = "";

    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(10);

    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan StateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Let two app users connect the same Alpaca account (same env). Off by default: the second is
    /// refused with reason account_already_connected, which also stops a victim's leaked code, injected
    /// into another user's flow, from binding the victim's already connected account to that user.
    /// </summary>
    public bool AllowSharedAccounts { get; set; }

    /// <summary>
    /// Send PKCE (RFC 7636, S256) to Alpaca: code_challenge on the authorize redirect, the verifier
    /// (kept with the state) on the token exchange. Off by default because Alpaca documents no PKCE;
    /// turn it on once your Alpaca app is seen to accept (or enforce) it.
    /// </summary>
    public bool UsePkce { get; set; }

    public Uri EffectiveCallbackUrl => CallbackUrl ?? new Uri(PublicBaseUrl!, "/api/oauth/callback");

    public Uri AuthorizeEndpoint => new(PublicBaseUrl!, "/api/oauth/authorize");
}
