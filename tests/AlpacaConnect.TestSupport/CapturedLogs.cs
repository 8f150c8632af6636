using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.TestSupport;

/// <summary>
/// Every log line the app writes, so tests can scan them for secrets: the Server's with their structured
/// fields, or everything the Functions host prints (its own and the worker's logs, one entry each).
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private volatile string? _pending;

    public IReadOnlyCollection<string> Lines
    {
        get
        {
            // A snapshot first: a spread of the live queue sizes its array from Count and then
            // enumerates, so a line the host prints in between overran it (IndexOutOfRangeException).
            var lines = _lines.ToArray();
            // An entry is added before it stops being pending (so it is never out of sight): not twice.
            return _pending is { } pending && (lines.Length == 0 || lines[^1] != pending) ? [.. lines, pending] : lines;
        }
    }

    public void Add(string line) => _lines.Enqueue(line);

    /// <summary>An entry still being written (the host prints an entry's lines one at a time).</summary>
    public void SetPending(string? entry) => _pending = entry;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose() { }

    private sealed class Logger(string category, CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {fields} {exception}");
        }
    }
}
