using AlpacaConnect.Core.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

public sealed class HealthFunction(HealthApi health)
{
    [Function("Health")]
    public Task<IResult> Check([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        health.CheckAsync(request);
}
