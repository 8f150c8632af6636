using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using AlpacaConnect.Core.Telemetry;
using AlpacaConnect.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace AlpacaConnect.UnitTests.Functions;

/// <summary>Queue age is recorded by worker middleware for queue-triggered invocations, from the host's binding data.</summary>
public sealed class QueueAgeMiddlewareTests
{
    private static FunctionContext Context(string entryPoint, string bindingName, string bindingType, IReadOnlyDictionary<string, object?> bindingData)
    {
        var binding = new Mock<BindingMetadata>();
        binding.SetupGet(b => b.Name).Returns(bindingName);
        binding.SetupGet(b => b.Type).Returns(bindingType);
        binding.SetupGet(b => b.Direction).Returns(BindingDirection.In);
        var definition = new Mock<FunctionDefinition>();
        definition.SetupGet(d => d.EntryPoint).Returns(entryPoint);
        definition.SetupGet(d => d.InputBindings).Returns(ImmutableDictionary<string, BindingMetadata>.Empty.Add(bindingName, binding.Object));
        var bindingContext = new Mock<BindingContext>();
        bindingContext.SetupGet(b => b.BindingData).Returns(bindingData);
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.FunctionDefinition).Returns(definition.Object);
        context.SetupGet(c => c.BindingContext).Returns(bindingContext.Object);
        return context.Object;
    }

    private static List<(double Seconds, string? Queue)> Listen(out MeterListener listener)
    {
        var recorded = new List<(double, string?)>();
        listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // By name: the instrument may be published while AlpacaConnectTelemetry is still being initialised.
            if (instrument.Meter.Name == AlpacaConnectTelemetry.Name && instrument.Name == "alpaca_connect.queue.age")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? queue = null;
            foreach (var tag in tags)
                if (tag.Key == "queue")
                    queue = tag.Value as string;
            lock (recorded)
                recorded.Add((value, queue));
        });
        listener.Start();
        return recorded;
    }

    [Fact]
    public async Task A_queue_triggered_invocation_records_its_messages_age_under_the_triggers_queue_then_runs()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 10, 0, 30, TimeSpan.Zero));
        // As the host sends it: a JSON-quoted timestamp.
        var context = Context("AlpacaConnect.Functions.TradeFunctions.Execute", "message", "queueTrigger",
            new Dictionary<string, object?> { ["InsertionTime"] = "\"2026-12-01T10:00:27.500+00:00\"", ["DequeueCount"] = "1" });
        var recorded = Listen(out var listener);
        using (listener)
        {
            Assert.True(QueueAgeMiddleware.Applies(context));
            var ran = false;
            await new QueueAgeMiddleware(time).Invoke(context, _ => { ran = true; return Task.CompletedTask; });

            Assert.True(ran);
            lock (recorded)
                Assert.Contains((2.5, "trade-executions"), recorded);
        }
    }

    [Fact]
    public void The_webhook_and_poison_triggers_name_their_own_queues_and_http_functions_are_left_alone()
    {
        var data = new Dictionary<string, object?>();
        Assert.Equal("webhook-deliveries", QueueTrigger.Of(Context("AlpacaConnect.Functions.WebhookFunctions.Deliver", "message", "queueTrigger", data))?.Queue);
        Assert.Equal("trade-executions-poison", QueueTrigger.Of(Context("AlpacaConnect.Functions.TradeFunctions.SettlePoison", "message", "queueTrigger", data))?.Queue);
        Assert.False(QueueAgeMiddleware.Applies(Context("AlpacaConnect.Functions.TradeFunctions.Accept", "request", "httpTrigger", data)));
        Assert.False(QueuePoisonMiddleware.Applies(Context("AlpacaConnect.Functions.TradeFunctions.SettlePoison", "message", "queueTrigger", data)));
        Assert.True(QueuePoisonMiddleware.Applies(Context("AlpacaConnect.Functions.WebhookFunctions.Deliver", "message", "queueTrigger", data)));
    }
}
