using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using AlpacaConnect.Core.Storage;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// Listens to the app's own storage metric (alpaca_connect.storage.round_trips) and keeps a running
/// count per "service method". Phases take snapshots and subtract.
/// </summary>
internal sealed class RoundTripMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, StrongBox> _counts = new(StringComparer.Ordinal);
    private long _queueDeletes;
    private long _queueSends;

    public RoundTripMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName && instrument.Name == StorageMetrics.RoundTrips)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public bool SawAny => !_counts.IsEmpty;

    /// <summary>Queue DELETEs so far: one per handled message, the last step of a trade's execution.</summary>
    public long QueueDeletes => Interlocked.Read(ref _queueDeletes);

    /// <summary>Queue POSTs (sends) so far: one per message, and trades accepted together share one.</summary>
    public long QueueSends => Interlocked.Read(ref _queueSends);

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string service = "?", method = "?";
        foreach (var tag in tags)
        {
            if (tag.Key == "service") service = tag.Value as string ?? "?";
            else if (tag.Key == "method") method = tag.Value as string ?? "?";
        }
        var key = service + " " + method;
        Interlocked.Add(ref _counts.GetOrAdd(key, _ => new StrongBox()).Value, value);
        if (key == "queue DELETE")
            Interlocked.Add(ref _queueDeletes, value);
        else if (key == "queue POST")
            Interlocked.Add(ref _queueSends, value);
    }

    public RoundTrips Snapshot() => new(_counts.ToDictionary(c => c.Key, c => Interlocked.Read(ref c.Value.Value), StringComparer.Ordinal));

    public void Dispose() => _listener.Dispose();

    private sealed class StrongBox
    {
        public long Value;
    }
}

/// <summary>Round trips by "service method" (e.g. "table PUT", "queue GET").</summary>
internal sealed record RoundTrips(IReadOnlyDictionary<string, long> ByKey)
{
    public long Total => ByKey.Values.Sum();

    public long this[string key] => ByKey.TryGetValue(key, out var v) ? v : 0;

    public static RoundTrips operator -(RoundTrips after, RoundTrips before) =>
        new(after.ByKey.Keys.Union(before.ByKey.Keys)
            .ToDictionary(k => k, k => after[k] - before[k], StringComparer.Ordinal)
            .Where(p => p.Value != 0)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
}

/// <summary>
/// Benchmark-only pipeline policy added to the Server's table and queue client options: tallies every
/// request by resource (table or queue name without the prefix, "$batch" for entity-group
/// transactions) and method, and classifies each "receive messages" answer as empty or not, so empty
/// polls are counted exactly rather than estimated. It reads the already-buffered response; it sends nothing.
/// </summary>
internal sealed class StorageRequestLog(string service) : HttpPipelinePolicy
{
    private static readonly ConcurrentDictionary<string, StrongCounts> ByQueue = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, long[]> ByResource = new(StringComparer.Ordinal);

    public static string Prefix { get; set; } = "";

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Classify(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var start = Stopwatch.GetTimestamp();
        await ProcessNextAsync(message, pipeline);
        Classify(message, start);
    }

    private static readonly ConcurrentQueue<(long At, string Key, double Ms)> Timings = new();

    /// <summary>Durations (ms) of the Server's storage calls that ended between two Stopwatch timestamps, by "service resource method".</summary>
    public static Dictionary<string, List<double>> DurationsBetween(long from, long to)
    {
        var result = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var (at, key, ms) in Timings)
        {
            if (at < from || at > to)
                continue;
            if (!result.TryGetValue(key, out var list))
                result[key] = list = [];
            list.Add(ms);
        }
        return result;
    }

    private void Classify(HttpMessage message, long? start = null)
    {
        // Path-style (Azurite): /{account}/{resource}[/messages[/{id}]] or /{account}/{table}(keys)
        var segments = message.Request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resource = segments.Length >= 2 ? segments[1] : "(account)";
        var paren = resource.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
            resource = resource[..paren];
        if (resource.StartsWith(Prefix, StringComparison.Ordinal) && Prefix.Length > 0)
            resource = resource[Prefix.Length..];
        var key = $"{service} {resource} {message.Request.Method.Method}";
        Interlocked.Increment(ref ByResource.GetOrAdd(key, _ => new long[1])[0]);
        if (start is { } began)
        {
            var now = Stopwatch.GetTimestamp();
            Timings.Enqueue((now, key, Stopwatch.GetElapsedTime(began, now).TotalMilliseconds));
        }

        if (service != "queue" || message.Request.Method != RequestMethod.Get || !message.HasResponse || message.Response.Status != 200
            || segments.Length != 3 || segments[2] != "messages")
            return;
        var counts = ByQueue.GetOrAdd(resource, _ => new StrongCounts());
        var body = message.Response.ContentStream is MemoryStream ? message.Response.Content.ToString() : "";
        var received = CountOf(body, "<QueueMessage>");
        if (received == 0)
            Interlocked.Increment(ref counts.Empty);
        else
            Interlocked.Increment(ref counts.NonEmpty);
        Interlocked.Add(ref counts.Messages, received);
    }

    private static int CountOf(string text, string needle)
    {
        int count = 0, at = 0;
        while ((at = text.IndexOf(needle, at, StringComparison.Ordinal)) >= 0)
        {
            count++;
            at += needle.Length;
        }
        return count;
    }

    public static PollCounts Polls() => new(ByQueue.ToDictionary(q => q.Key,
        q => new PollCount(Interlocked.Read(ref q.Value.Empty), Interlocked.Read(ref q.Value.NonEmpty), Interlocked.Read(ref q.Value.Messages)),
        StringComparer.Ordinal));

    /// <summary>Requests by "service resource method", e.g. "table trades PUT", "queue trade-executions GET".</summary>
    public static RoundTrips Requests() => new(ByResource.ToDictionary(r => r.Key, r => Interlocked.Read(ref r.Value[0]), StringComparer.Ordinal));

    private sealed class StrongCounts
    {
        public long Empty, NonEmpty, Messages;
    }
}

internal sealed record PollCount(long Empty, long NonEmpty, long Messages);

internal sealed record PollCounts(IReadOnlyDictionary<string, PollCount> ByQueue)
{
    public long Empty => ByQueue.Values.Sum(p => p.Empty);
    public long NonEmpty => ByQueue.Values.Sum(p => p.NonEmpty);
    public long Messages => ByQueue.Values.Sum(p => p.Messages);

    public static PollCounts operator -(PollCounts after, PollCounts before) =>
        new(after.ByQueue.ToDictionary(p => p.Key, p =>
        {
            var b = before.ByQueue.TryGetValue(p.Key, out var x) ? x : new PollCount(0, 0, 0);
            return new PollCount(p.Value.Empty - b.Empty, p.Value.NonEmpty - b.NonEmpty, p.Value.Messages - b.Messages);
        }, StringComparer.Ordinal));
}

/// <summary>
/// A logger provider that only records what the benchmark needs from the Server: the moment the
/// executor recorded each trade as at Alpaca (LogSubmitted) or ended it without an order (LogFinished),
/// and every warning or error (counted, the first few kept).
/// </summary>
[ProviderAlias("BenchProgress")]
internal sealed class TradeProgressLog : ILoggerProvider
{
    public const string ExecutorCategory = "AlpacaConnect.Core.Trading.TradeExecutor";

    private readonly ConcurrentDictionary<string, TradeDone> _done = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private int _warnings, _errors;

    public int Warnings => Volatile.Read(ref _warnings);
    public int Errors => Volatile.Read(ref _errors);
    public IReadOnlyCollection<string> FirstProblems => _problems;

    public bool TryGet(string tradeId, out TradeDone done) => _done.TryGetValue(tradeId, out done!);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose() { }

    private void Record(string category, LogLevel level, EventId eventId, object? state, string message)
    {
        if (category == ExecutorCategory && eventId.Name is "LogSubmitted" or "LogFinished"
            && state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            string? tradeId = null;
            foreach (var field in fields)
                if (field.Key == "TradeId")
                    tradeId = field.Value as string;
            if (tradeId is not null)
                _done.TryAdd(tradeId, new TradeDone(Stopwatch.GetTimestamp(), eventId.Name == "LogSubmitted"));
        }
        if (level >= LogLevel.Warning)
        {
            if (level >= LogLevel.Error) Interlocked.Increment(ref _errors);
            else Interlocked.Increment(ref _warnings);
            if (_problems.Count < 20)
                _problems.Enqueue($"{level} {category}: {message}");
        }
    }

    private sealed class Logger(string category, TradeProgressLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = logLevel >= LogLevel.Warning ? formatter(state, exception) : "";
            owner.Record(category, logLevel, eventId, state, message);
        }
    }
}

/// <param name="At">Stopwatch timestamp when the executor logged it.</param>
/// <param name="Submitted">True: recorded as at Alpaca. False: ended failed/rejected.</param>
internal readonly record struct TradeDone(long At, bool Submitted);

/// <summary>
/// Order placements in flight at the Sandbox (POST /{env}/v2/orders), as a time integral: the
/// average over a window is the concurrency the caller really achieved against Alpaca.
/// </summary>
internal sealed class InFlightGauge
{
    private readonly Lock _gate = new();
    private long _inFlight, _max, _lastTs = Stopwatch.GetTimestamp(), _count;
    private double _area; // in-flight x stopwatch ticks

    public void Enter()
    {
        lock (_gate)
        {
            Advance();
            _inFlight++;
            _count++;
            _max = Math.Max(_max, _inFlight);
        }
    }

    public void Exit()
    {
        lock (_gate)
        {
            Advance();
            _inFlight--;
        }
    }

    private void Advance()
    {
        var now = Stopwatch.GetTimestamp();
        _area += _inFlight * (double)(now - _lastTs);
        _lastTs = now;
    }

    /// <summary>Reads the integral and resets the window's maximum.</summary>
    public GaugeMark Mark()
    {
        lock (_gate)
        {
            Advance();
            var mark = new GaugeMark(_lastTs, _area, _max, _count);
            _max = _inFlight;
            return mark;
        }
    }
}

internal sealed record GaugeMark(long Ts, double Area, long MaxSincePrevious, long Count)
{
    public static (double Average, long Max, long Count) Between(GaugeMark start, GaugeMark end) =>
        (end.Ts > start.Ts ? (end.Area - start.Area) / (end.Ts - start.Ts) : 0, end.MaxSincePrevious, end.Count - start.Count);
}

/// <summary>
/// CPU time of this process and of the Azurite serving our storage (found by its command line and
/// table port, re-read at every mark; read from /proc only), and of the whole machine.
/// </summary>
internal static class CpuClock
{
    public static bool AzuriteFound => FindAzurite().Count > 0;

    public static CpuMark Mark()
    {
        using var self = Process.GetCurrentProcess();
        return new CpuMark(Stopwatch.GetTimestamp(), self.TotalProcessorTime,
            FindAzurite().ToDictionary(pid => pid, AzuriteCpuSeconds), MachineBusySeconds(),
            System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
    }

    /// <summary>CPU seconds used so far by the Azurite serving our storage (0 when not visible).</summary>
    public static double AzuriteSecondsNow() => FindAzurite().Sum(AzuriteCpuSeconds);

    /// <summary>Node processes running azurite whose table port is the one in our connection string (10002 by default).</summary>
    private static List<int> FindAzurite()
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
            return found;
        var port = TablePort();
        var self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self)
                continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (args.Length == 0 || !args[0].EndsWith("node", StringComparison.Ordinal) || !args.Any(a => a.Contains("azurite", StringComparison.OrdinalIgnoreCase)))
                    continue;
                var at = Array.IndexOf(args, "--tablePort");
                var itsPort = at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var p) ? p : 10002;
                if (itsPort == port)
                    found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static int TablePort()
    {
        var cs = BenchSystem.StorageConnectionString;
        var at = cs.IndexOf("TableEndpoint=", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            return 10002;
        var end = cs.IndexOf(';', at);
        var endpoint = cs[(at + "TableEndpoint=".Length)..(end < 0 ? cs.Length : end)];
        return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri.Port : 10002;
    }

    private static double AzuriteCpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ", field 3 (state) is index 0; utime/stime are fields 14/15, i.e. index 11/12.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>Busy CPU seconds of the whole machine (all cores, /proc/stat), to see load from other processes.</summary>
    private static double MachineBusySeconds()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
            return (fields.Sum() - fields[3] - fields[4]) / 100.0;
        }
        catch (Exception ex) when (ex is IOException or FormatException)
        {
            return 0;
        }
    }
}

internal sealed record CpuMark(long Ts, TimeSpan Self, IReadOnlyDictionary<int, double> Azurite, double MachineSeconds, long JitMethods, TimeSpan JitTime)
{
    /// <summary>
    /// Cores busy on average (1.0 = one core fully used) between two marks: this process, Azurite,
    /// and everything else on the machine (other builds or tests share the cores and Azurite's CPU).
    /// </summary>
    public static CpuUse CoresBetween(CpuMark a, CpuMark b)
    {
        var wall = Stopwatch.GetElapsedTime(a.Ts, b.Ts).TotalSeconds;
        if (wall <= 0)
            return new CpuUse(0, 0, 0, 0, 0);
        var self = (b.Self - a.Self).TotalSeconds / wall;
        // Only processes seen at both marks (an Azurite that stopped or started in between is left out).
        var azurite = b.Azurite.Where(p => a.Azurite.ContainsKey(p.Key)).Sum(p => p.Value - a.Azurite[p.Key]) / wall;
        var machine = (b.MachineSeconds - a.MachineSeconds) / wall;
        return new CpuUse(Math.Round(self, 2), Math.Round(azurite, 2), Math.Round(Math.Max(0, machine - self - azurite), 2),
            b.JitMethods - a.JitMethods, Math.Round((b.JitTime - a.JitTime).TotalMilliseconds));
    }
}

/// <param name="JitMethods">Methods the JIT compiled meanwhile (tier-ups included): non-zero means code was still warming up.</param>
/// <param name="JitMs">Time spent compiling them (ms, all threads).</param>
internal sealed record CpuUse(double Self, double Azurite, double Other, long JitMethods, double JitMs);

/// <summary>Peak RSS and managed heap.</summary>
internal static class Memory
{
    public static long PeakRssBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
