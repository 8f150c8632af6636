using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Storage;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Health;

/// <summary>GET /api/health: 200 when storage answers, 503 when it does not.</summary>
public sealed class HealthApi(StorageHealth storage)
{
    public sealed record HealthReport(string Status, bool Storage);

    public async Task<IResult> CheckAsync(HttpRequest request)
    {
        var reachable = await storage.IsReachableAsync(request.HttpContext.RequestAborted);
        return JsonBody.Ok(new HealthReport(reachable ? "healthy" : "unhealthy", reachable),
            reachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
