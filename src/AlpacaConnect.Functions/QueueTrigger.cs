using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>
/// A queue-triggered invocation as the worker middleware sees it: the trigger binding, the queue its
/// <see cref="QueueTriggerAttribute"/> names (read once per function from the entry point the
/// function definition gives), and the binding data the host sends with each message.
/// </summary>
internal sealed record QueueTrigger(string Queue, BindingMetadata Binding)
{
    private static readonly ConcurrentDictionary<string, QueueTrigger?> ByEntryPoint = new(StringComparer.Ordinal);

    /// <summary>The trigger of a queue-triggered function; null for any other function.</summary>
    public static QueueTrigger? Of(FunctionContext context) =>
        ByEntryPoint.GetOrAdd(context.FunctionDefinition.EntryPoint, static (_, definition) => Resolve(definition), context.FunctionDefinition);

    /// <summary>When the message was first put on the queue (the host's InsertionTime).</summary>
    public static DateTimeOffset? InsertionTime(FunctionContext context) =>
        DateTimeOffset.TryParse(Text(context, "InsertionTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>This delivery's number, 1 for the first.</summary>
    public static long? DequeueCount(FunctionContext context) =>
        long.TryParse(Text(context, "DequeueCount"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : null;

    public static string? MessageId(FunctionContext context) => Text(context, "Id");

    private static string? Text(FunctionContext context, string key) =>
        context.BindingContext.BindingData.TryGetValue(key, out var value) ? value?.ToString()?.Trim('"') : null;

    private static QueueTrigger? Resolve(FunctionDefinition definition)
    {
        var binding = definition.InputBindings.Values.FirstOrDefault(b => string.Equals(b.Type, "queueTrigger", StringComparison.OrdinalIgnoreCase));
        var dot = definition.EntryPoint.LastIndexOf('.');
        if (binding is null || dot < 0)
            return null;
        // The functions are this assembly's (the entry point is "Namespace.Class.Method"); the queue names are constants.
        var method = typeof(QueueTrigger).Assembly.GetType(definition.EntryPoint[..dot])?.GetMethod(definition.EntryPoint[(dot + 1)..]);
        var attribute = method?.GetParameters().FirstOrDefault(p => p.Name == binding.Name)?.GetCustomAttribute<QueueTriggerAttribute>();
        return attribute is null ? null : new QueueTrigger(attribute.QueueName, binding);
    }
}
