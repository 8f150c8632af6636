using Microsoft.AspNetCore.HttpLogging;

namespace AlpacaConnect.Server;

/// <summary>
/// The request log without the secrets some paths carry: an alert URL holds its hook's secret
/// (POST /api/signals/{hookId}/{secret}, since TradingView can send no header), so its last segment
/// is logged as [redacted] whatever the log level.
/// </summary>
internal sealed class SecretPathLogging : IHttpLoggingInterceptor
{
    private const string AlertPrefix = "/api/signals/";

    public ValueTask OnRequestAsync(HttpLoggingInterceptorContext logContext)
    {
        var path = logContext.HttpContext.Request.Path.Value ?? "";
        if (path.StartsWith(AlertPrefix, StringComparison.OrdinalIgnoreCase) && path[AlertPrefix.Length..].Contains('/'))
        {
            logContext.TryDisable(HttpLoggingFields.RequestPath);
            logContext.AddParameter(nameof(HttpRequest.Path), path[..path.LastIndexOf('/')] + "/[redacted]");
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask OnResponseAsync(HttpLoggingInterceptorContext logContext) => ValueTask.CompletedTask;
}
