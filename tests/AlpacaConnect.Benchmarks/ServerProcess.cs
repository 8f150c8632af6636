using System.Diagnostics;
using System.Globalization;
using AlpacaConnect.TestSupport;

namespace AlpacaConnect.Benchmarks;

/// <summary>
/// The Server as a process of its own (`dotnet AlpacaConnect.Server.dll`, as built beside this
/// benchmark), configured by environment variables with the in-process Server's settings, so its
/// resident memory can be read apart from the benchmark's client and Sandbox (/proc/{pid}/status).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakSampled;

    public Uri Url { get; }

    private ServerProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
        _sampler = SampleAsync(_stop.Token);
    }

    /// <param name="runtime">Runtime settings on top of the Server's own (e.g. DOTNET_gcServer=0); none: as built.</param>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, IReadOnlyDictionary<string, string> runtime)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var dll = Path.Combine(FunctionsHost.RepositoryRoot, "src", "AlpacaConnect.Server", "bin", configuration, "net10.0", "AlpacaConnect.Server.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"The Server is not built at {dll}.");
        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", url.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        foreach (var (key, value) in runtime)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        // Drained so a full pipe never blocks it; its log is not part of the figures.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The Server process exited at start ({process.ExitCode}).");
            try
            {
                using var health = await probe.GetAsync(new Uri(url, "/api/health"));
                if ((int)health.StatusCode < 500)
                    break;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The Server process did not answer /api/health within 60 s.");
            await Task.Delay(200);
        }
        return new ServerProcess(process, url);
    }

    /// <summary>The process's resident set now (VmRSS).</summary>
    public long RssBytes => Read("VmRSS:");

    /// <summary>The most it has held (VmHWM, the kernel's own high-water mark).</summary>
    public long PeakRssBytes => Math.Max(Read("VmHWM:"), Interlocked.Read(ref _peakSampled));

    private long Read(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _stop.Dispose();
    }
}
