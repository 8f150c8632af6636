namespace AlpacaConnect.Core.Alpaca;

/// <summary>
/// Where Alpaca lives and who we are to it. With no <see cref="ClientId"/>, every URL points at the
/// Sandbox (<see cref="SandboxUrl"/>): the embedded default for local runs.
/// </summary>
public sealed class AlpacaOptions
{
    public const string Section = "Alpaca";
    public const string SandboxClientId = "sandbox-client-id";

    /// <summary>The OAuth app's client id from Alpaca's dashboard. Empty: use the Sandbox.</summary>
    public string ClientId { get; set; } = "";

    public Uri AuthorizeUrl { get; set; } = new("https://app.alpaca.markets/oauth/authorize");
    public Uri TokenUrl { get; set; } = new("https://api.alpaca.markets/oauth/token");
    public Uri PaperApiUrl { get; set; } = new("https://paper-api.alpaca.markets");
    public Uri LiveApiUrl { get; set; } = new("https://api.alpaca.markets");

    /// <summary>Space-separated scopes requested at authorize time.</summary>
    public string Scopes { get; set; } = "account:write trading";

    public Uri SandboxUrl { get; set; } = new("http://localhost:7072");

    /// <summary>Per-attempt timeout of calls to Alpaca.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool UsesSandbox { get; private set; }

    public Uri ApiUrl(AlpacaEnv env) => env == AlpacaEnv.Live ? LiveApiUrl : PaperApiUrl;

    /// <summary>Points everything at the Sandbox when no client id is configured.</summary>
    internal void ApplySandboxDefault()
    {
        if (!string.IsNullOrWhiteSpace(ClientId))
            return;
        var root = SandboxUrl.AbsoluteUri.TrimEnd('/');
        ClientId = SandboxClientId;
        AuthorizeUrl = new Uri($"{root}/oauth/authorize");
        TokenUrl = new Uri($"{root}/oauth/token");
        PaperApiUrl = new Uri($"{root}/paper");
        LiveApiUrl = new Uri($"{root}/live");
        UsesSandbox = true;
    }
}
