using System.Collections.Concurrent;
using System.Diagnostics;

namespace AlpacaConnect.TestSupport;

/// <summary>
/// The built Server (`dotnet AlpacaConnect.Server.dll`, same configuration as the caller) in a
/// process of its own: its settings as environment variables, its console captured, started once
/// /api/health answers. Tests run several of them on one Azurite; the benchmark reads its memory.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private ServerProcess(Process process) => _process = process;

    /// <summary>Everything it printed so far (stdout and stderr).</summary>
    public IReadOnlyCollection<string> Lines => _lines.ToArray();

    public int ProcessId => _process.Id;

    /// <param name="runtime">Environment variables for the runtime on top of the settings (e.g. DOTNET_gcServer).</param>
    public static async Task<ServerProcess> StartAsync(Uri url, IEnumerable<KeyValuePair<string, string?>> settings, IReadOnlyDictionary<string, string>? runtime = null)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var dll = Path.Combine(FunctionsHost.RepositoryRoot, "src", "AlpacaConnect.Server", "bin", configuration, "net10.0", "AlpacaConnect.Server.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"The Server is not built at {dll}; build the solution first.");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", url.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        foreach (var (key, value) in runtime ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
        server._process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._lines.Enqueue(e.Data); };
        server._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._lines.Enqueue(e.Data); };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync(new Uri(url, "/api/health"))).IsSuccessStatusCode)
                    return server;
            }
            catch (HttpRequestException)
            {
            }
            if (server._process.HasExited)
                break;
            await Task.Delay(200);
        }
        await server.StopAsync();
        throw new InvalidOperationException($"The Server at {url} did not become healthy:\n{string.Join('\n', server._lines)}");
    }

    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
