using System.Diagnostics;
using System.Runtime;
using AlpacaConnect.Benchmarks;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (HelpRequested)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var outPath = ResolveOut(options.Out);
Console.WriteLine($"Alpaca Connect trading benchmark: trades={options.Trades} users={options.Users} concurrency={options.Concurrency} " +
                  $"rate={options.Rate}/s ack-trades={options.AckTrades} latency={options.LatencyMs}ms warmup={options.Warmup} " +
                  $"(cores={Environment.ProcessorCount}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC)");

Exception? broke;
Report report;
if (options.Scenario == "sync-scale")
{
    var scale = new SyncScale(options);
    broke = await scale.RunAsync();
    report = scale.Report;
}
else if (options.Scenario == "order-events")
{
    var events = new OrderEvents(options);
    broke = await events.RunAsync();
    report = events.Report;
}
else if (options.Scenario == "signal-ack")
{
    var ack = new SignalAckBench(options);
    broke = await ack.RunAsync();
    report = ack.Report;
}
else if (options.Scenario == "signal-fanout")
{
    var fanOut = new SignalFanOutBench(options);
    broke = await fanOut.RunAsync();
    report = fanOut.Report;
}
else if (options.Scenario == "schedules")
{
    var schedules = new ScheduleBenchmark(options);
    broke = await schedules.RunAsync();
    report = schedules.Report;
}
else if (options.Host == "functions")
{
    var latency = new HostLatency(options);
    broke = await latency.RunAsync();
    report = latency.Report;
}
else
{
    var benchmark = new Benchmark(options);
    broke = await benchmark.RunAsync();
    report = benchmark.Report;
}

Console.WriteLine();
Console.WriteLine(report.Render());
Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
await File.WriteAllTextAsync(outPath, report.ToJson());
Console.WriteLine($"JSON report: {outPath}");
if (broke is not null)
{
    Console.Error.WriteLine($"The run broke: {broke}");
    return 1;
}
return 0;

// Relative --out paths are relative to the caller's directory; the default lives in the repo's .data/ (git-ignored).
static string ResolveOut(string given)
{
    if (given.Length > 0)
        return Path.GetFullPath(given);
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AlpacaConnectFunctions.sln")))
        dir = dir.Parent;
    return Path.Combine(dir?.FullName ?? Directory.GetCurrentDirectory(), ".data", "benchmark.json");
}

internal static class Clock
{
    public static double Ms(long fromTs, long toTs) => Stopwatch.GetElapsedTime(fromTs, toTs).TotalMilliseconds;

    public static double Seconds(long fromTs, long toTs) => Stopwatch.GetElapsedTime(fromTs, toTs).TotalSeconds;
}
