using System.Globalization;
using AlpacaConnect.Core.Telemetry;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Queue age from the trigger's InsertionTime binding data (the Server reads it off the message).</summary>
internal static class QueueTelemetry
{
    public static void RecordAge(string queue, FunctionContext context)
    {
        if (context.BindingContext.BindingData.TryGetValue("InsertionTime", out var value)
            && DateTimeOffset.TryParse(value?.ToString()?.Trim('"'), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var inserted))
            AlpacaConnectTelemetry.RecordQueueAge(queue, inserted, DateTimeOffset.UtcNow);
    }
}
