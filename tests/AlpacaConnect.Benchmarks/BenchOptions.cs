using System.Globalization;

namespace AlpacaConnect.Benchmarks;

/// <summary>Command line of one benchmark run. Every figure has a default that keeps a run under ~3 minutes on 2 cores.</summary>
internal sealed record BenchOptions
{
    public int Trades { get; init; } = 2000;
    public int Users { get; init; } = 100;
    public int Concurrency { get; init; } = 64;
    public double Rate { get; init; } = 100;
    public int AckTrades { get; init; } = 1000;
    public int LatencyMs { get; init; } = 50;
    public int Warmup { get; init; } = 200;
    public string Out { get; init; } = "";

    /// <summary>"functions": the host-latency mode (<see cref="HostLatency"/>) instead of the Server benchmark.</summary>
    public string Host { get; init; } = "server";

    /// <summary>"trade" (the benchmark above) or another scenario's name, each in its own file.</summary>
    public string Scenario { get; init; } = "trade";

    public static readonly string[] Scenarios = ["trade", "sync-scale", "order-events", "signal-fanout", "signal-ack", "schedules"];

    /// <summary>signal-fanout: the connections one signal fans out to.</summary>
    public int Subscribers { get; init; } = 1000;

    /// <summary>signal-ack: the hook's followers (each alert fans out to them beside the acks; 0 = a fan-out that places nothing).</summary>
    public int Followers { get; init; } = 2;

    /// <summary>sync-scale: closed trades (and dispatched events) seeded before the second measurement.</summary>
    public int Closed { get; init; } = 100_000;

    public const string Usage = """
        Usage: eng/benchmark.sh [options]
          --trades N        trades in phase B (throughput), half market, half far limit   (default 2000)
          --users U         users connected through the consent flow                       (default 100)
          --concurrency C   closed-loop senders in phase B and the baseline                (default 64)
          --rate R          open-loop POST rate in phase A, requests/s                     (default 100)
          --ack-trades N    trades in phase A (ack latency)                                (default 1000)
          --latency-ms L    Sandbox latency added to every trading call                   (default 50)
          --warmup N        untimed trades before phase A (JIT, token cache), then more in
                            rounds of 200 until the JIT settles (max 2,000
                            trades or 40 s); 0 = none       (default 200)
          --out PATH        JSON report (default <repo>/.data/benchmark.json)
          --host functions  instead: accept -> submitted through the Functions app under a real
                            Functions host beside the Server's (defaults there: --trades 300
                            --rate 10 --users 20; needs func or ../shared/functions-host)
          --scenario NAME   trade (default: the above), or instead one of:
            sync-scale      status sync and outbox sweep cost with --users open trades, 0 vs
                            --closed N closed (default 100000)                    (SyncScale.cs)
            order-events    fills and cancels made at the Sandbox -> order.* webhooks, on the
                            Server and the Functions host (default --trades 60 --users 10)
                                                                                  (OrderEvents.cs)
            signal-fanout   one signal fanned out to --subscribers N connections (default 1000)
                            vs a direct client                           (SignalFanOutBench.cs)
            signal-ack      alert ack latency, --ack-trades alerts at --rate (defaults there:
                            1000 at 50/s; --followers N, default 2)         (SignalAckBench.cs)
            schedules       10,000 schedules, 1,000 due in one minute, through the schedules'
                            timer                                        (ScheduleBenchmark.cs)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        if (args.Contains("--host") && args.SkipWhile(a => a != "--host").Skip(1).FirstOrDefault() == "functions")
            o = o with { Trades = 300, Rate = 10, Users = 20 };
        if (args.SkipWhile(a => a != "--scenario").Skip(1).FirstOrDefault() == "signal-ack")
            o = o with { Rate = 50 };
        // The defaults the usage names (the trade scenario's 2,000 / 100 made 666 orders a batch and broke the Server half).
        if (args.SkipWhile(a => a != "--scenario").Skip(1).FirstOrDefault() == "order-events")
            o = o with { Trades = 60, Users = 10 };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int(int min) => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v : throw new ArgumentException($"{args[i - 1]} must be a whole number >= {min}.");
            o = args[i] switch
            {
                "--trades" => o with { Trades = Int(2) },
                "--users" => o with { Users = Int(1) },
                "--concurrency" => o with { Concurrency = Int(1) },
                "--rate" => o with
                {
                    Rate = double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0
                        ? r : throw new ArgumentException("--rate must be a positive number."),
                },
                "--ack-trades" => o with { AckTrades = Int(1) },
                "--latency-ms" => o with { LatencyMs = Int(0) },
                "--warmup" => o with { Warmup = Int(0) },
                "--out" => o with { Out = Next() },
                "--host" => o with { Host = Next() is var h && h is "server" or "functions" ? h : throw new ArgumentException("--host must be server or functions.") },
                "--scenario" => o with { Scenario = Next() is var n && Scenarios.Contains(n) ? n : throw new ArgumentException($"--scenario must be one of {string.Join(", ", Scenarios)}.") },
                "--subscribers" => o with { Subscribers = Int(1) },
                "--closed" => o with { Closed = Int(0) },
                "--followers" => o with { Followers = Int(0) },
                "-h" or "--help" => throw new HelpRequested(),
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }
        return o;
    }
}

internal sealed class HelpRequested : Exception;
