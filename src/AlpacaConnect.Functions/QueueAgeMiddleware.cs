using AlpacaConnect.Core.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace AlpacaConnect.Functions;

/// <summary>
/// alpaca_connect.queue.age for every queue-triggered invocation, from the host's InsertionTime and the
/// trigger's queue name, before the function runs (the Server's runner records it as it takes a message).
/// </summary>
internal sealed class QueueAgeMiddleware(TimeProvider time) : IFunctionsWorkerMiddleware
{
    public static bool Applies(FunctionContext context) => QueueTrigger.Of(context) is not null;

    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (QueueTrigger.Of(context) is { } trigger)
            AlpacaConnectTelemetry.RecordQueueAge(trigger.Queue, QueueTrigger.InsertionTime(context), time.GetUtcNow());
        return next(context);
    }
}
