using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Connect;

/// <summary>The Connect flow's HTTP surface, shared by the Functions app and the Server.</summary>
public sealed class ConnectApi(ConnectFlow flow, ReturnUrlPolicy returnUrls)
{
    public sealed record CreateLinkRequest(string UserId, string Env, string ReturnUrl);

    public sealed record CreateLinkResponse(string Url, DateTimeOffset ExpiresAt);

    /// <summary>POST /api/connect-links (key): a single-use, short-lived authorize URL for one user.</summary>
    public async Task<IResult> CreateLinkAsync(HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<CreateLinkRequest>(request, ct);
        if (body is null)
            return problem!;

        var errors = new Dictionary<string, string[]>();
        var env = UserIds.Check(body.UserId, body.Env, errors);
        if (!returnUrls.IsAllowed(body.ReturnUrl, out var returnUrl))
            errors["return_url"] = ["Must be an absolute http(s) URL on one of the allowed return origins (Connect:AllowedReturnOrigins)."];
        if (errors.Count > 0)
            return Problems.Validation(errors);

        var (url, expiresAt) = await flow.CreateLinkAsync(new ConnectIntent(body.UserId, env, returnUrl), ct);
        return JsonBody.Ok(new CreateLinkResponse(url.AbsoluteUri, expiresAt), StatusCodes.Status201Created);
    }

    /// <summary>GET /api/oauth/authorize (anonymous, a browser): redeem the link, go to Alpaca.</summary>
    public async Task<IResult> AuthorizeAsync(HttpRequest request) =>
        ToResult(await flow.BeginAsync(request.Query, request.HttpContext.RequestAborted));

    /// <summary>GET /api/oauth/callback (anonymous, a browser coming back from Alpaca).</summary>
    public async Task<IResult> CallbackAsync(HttpRequest request) =>
        ToResult(await flow.CompleteAsync(request.Query, request.HttpContext.RequestAborted));

    /// <summary>Both browser endpoints carry a secret in their URL or their redirect: never cached, never a Referer.</summary>
    private static IResult ToResult(BrowserOutcome outcome) => outcome switch
    {
        { RedirectTo: { } to } => PrivateBrowserResult.Redirect(to),
        { Link: { } link } => PrivateBrowserResult.Page(HtmlPage.WithLink(outcome.Status, outcome.Title!, outcome.Message!, link, outcome.LinkText ?? link.AbsoluteUri)),
        _ => PrivateBrowserResult.Page(HtmlPage.Error(outcome.Status, outcome.Title!, outcome.Message!)),
    };
}
