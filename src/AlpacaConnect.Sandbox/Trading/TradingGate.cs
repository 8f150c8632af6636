using AlpacaConnect.Sandbox.Admin;
using AlpacaConnect.Sandbox.Http;
using AlpacaConnect.Sandbox.OAuth;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>The authenticated caller of a trading request: token grant plus the account of this env.</summary>
internal sealed record TradingCaller(AccessGrant Grant, AccountState Account, TradingEnv Env);

/// <summary>
/// Runs before every /{paper|live}/v2 endpoint: latency, bearer token (bound to its env), rate limit,
/// injected 500s (before any work), then one lazy evaluation step of the account's orders.
/// </summary>
internal sealed class TradingGate(TradingEnv env) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var faults = services.GetRequiredService<FaultSwitches>();
        var settings = faults.Current;
        if (settings.LatencyMs > 0)
        {
            try
            {
                await Task.Delay(settings.LatencyMs, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty; // client gave up
            }
        }

        var grant = Authenticate(http, services.GetRequiredService<OAuthStore>());
        if (grant is null)
        {
            return AlpacaError.NotAuthorized();
        }

        if (grant.Env is { } bound && bound != env)
        {
            return AlpacaError.WrongScope();
        }

        var rate = services.GetRequiredService<RateLimiter>().Hit(grant.Token);
        if (rate.Limit > 0)
        {
            http.Response.Headers["X-RateLimit-Limit"] = rate.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Remaining"] = rate.Remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Reset"] = rate.ResetUnixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (!rate.Allowed)
        {
            return AlpacaError.Json(429, AlpacaError.RateLimited, "rate limit exceeded");
        }

        if (faults.Roll(settings.ErrorRate))
        {
            return AlpacaError.Json(500, AlpacaError.Internal, "internal server error");
        }

        var account = services.GetRequiredService<AccountBook>().Get(grant.Username, env);
        lock (account.Gate)
        {
            services.GetRequiredService<Broker>().Evaluate(account);
        }

        http.Items[typeof(TradingCaller)] = new TradingCaller(grant, account, env);
        return await next(context);
    }

    private static AccessGrant? Authenticate(HttpContext http, OAuthStore store)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[prefix.Length..].Trim();
        return token.Length == 0 ? null : store.FindToken(token);
    }
}

internal static class TradingCallerExtensions
{
    public static TradingCaller Caller(this HttpContext http) => (TradingCaller)http.Items[typeof(TradingCaller)]!;
}
