using System.Globalization;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// Resident memory of another process (here the Server in a process of its own), read from
/// /proc/{pid}/status: now (VmRSS), and the most it held (the kernel's VmHWM, or a 100 ms sample if higher).
/// </summary>
internal sealed class ProcessMemory : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakSampled;

    public ProcessMemory(int pid)
    {
        _pid = pid;
        _sampler = SampleAsync(_stop.Token);
    }

    public long RssBytes => Read("VmRSS:");

    public long PeakRssBytes => Math.Max(Read("VmHWM:"), Interlocked.Read(ref _peakSampled));

    private long Read(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var rss = RssBytes;
                if (rss > Interlocked.Read(ref _peakSampled))
                    Interlocked.Exchange(ref _peakSampled, rss);
                await Task.Delay(100, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
    }
}
