using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Alpaca;

/// <summary>
/// Alpaca's Trading API v2 on behalf of one user: the bearer token is per call, the host per env.
/// Reads are retried on transient failures by the resilience pipeline; writes never are.
/// </summary>
public sealed class AlpacaTradingClient(HttpClient http, IOptions<AlpacaOptions> options)
{
    public Task<AlpacaResult<AlpacaAccount>> GetAccountAsync(AlpacaEnv env, AccessToken token, CancellationToken ct) =>
        SendAsync<AlpacaAccount>(HttpMethod.Get, env, "v2/account", token, ct);

    private async Task<AlpacaResult<T>> SendAsync<T>(HttpMethod method, AlpacaEnv env, string path, AccessToken token, CancellationToken ct, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, Url(env, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return await AlpacaHttp.SendAsync<T>(http, request, ct);
    }

    private Uri Url(AlpacaEnv env, string path) => new($"{options.Value.ApiUrl(env).AbsoluteUri.TrimEnd('/')}/{path}");
}
