using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AlpacaConnect.TestSupport;

/// <summary>
/// The Functions app under a real Functions host (<see cref="FunctionsHost"/>), with an Azurite of its
/// own: its triggers bind the plain queue names, and the host keeps its locks and keys in that account,
/// so two systems never share storage. App settings travel as environment variables (A__B), as
/// <c>func start</c> passes local.settings.json's Values.
/// </summary>
public sealed class FunctionsApp : IAsyncDisposable
{
    private readonly Process _host;
    private readonly HostLog _log;
    private readonly string _secretsDir;

    public Uri Url { get; }
    public AzuriteProcess Storage { get; }

    /// <summary>The host's master key: admin calls, e.g. running a timer function now.</summary>
    public string MasterKey { get; }

    private FunctionsApp(Process host, HostLog log, string secretsDir, Uri url, AzuriteProcess storage, string masterKey)
    {
        _host = host;
        _log = log;
        _secretsDir = secretsDir;
        Url = url;
        Storage = storage;
        MasterKey = masterKey;
    }

    /// <param name="settings">App settings ("A:B" keys); AzureWebJobsStorage is this app's own Azurite.</param>
    /// <param name="hostSettings">host.json overrides (e.g. "extensions:queues:maxPollingInterval").</param>
    public static async Task<FunctionsApp> StartAsync(Uri url, IReadOnlyDictionary<string, string?> settings,
        IReadOnlyDictionary<string, string> hostSettings, string functionKey, CapturedLogs logs)
    {
        var launcher = FunctionsHost.Require();
        var storage = await AzuriteProcess.StartAsync();
        var secretsDir = Directory.CreateTempSubdirectory("acf-host-keys-").FullName;
        var masterKey = "master-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        try
        {
            var start = launcher.Func is not null
                ? new ProcessStartInfo(launcher.Func, ["start", "--port", url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
                {
                    WorkingDirectory = FunctionsHost.AppDirectory,
                    Environment = { ["AzureWebJobsStorage"] = storage.ConnectionString, ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated" },
                }
                : new ProcessStartInfo("bash", [Path.Combine(launcher.SharedHostFolder!, "run-host.sh")])
                {
                    Environment =
                    {
                        ["HOST_DIR"] = await FunctionsHost.BuiltHostAsync(launcher),
                        ["APP_DIR"] = FunctionsHost.AppDirectory,
                        ["HOST_PORT"] = url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["BLOB_PORT"] = storage.BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["QUEUE_PORT"] = storage.QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["TABLE_PORT"] = storage.TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["FUNCTIONS_SECRETS_PATH"] = secretsDir,
                    },
                };
            await WriteKeysAsync(secretsDir, masterKey, functionKey);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            foreach (var (key, value) in settings)
                if (value is not null && key != "AzureWebJobsStorage")
                    start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            foreach (var (key, value) in hostSettings)
                start.Environment["AzureFunctionsJobHost__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
            start.Environment.Remove("CONTAINER_NAME");

            var log = new HostLog(logs, Path.Combine(Path.GetTempPath(), $"acf-functions-host-{url.Port}.log"));
            var host = Process.Start(start)!;
            host.OutputDataReceived += (_, e) => log.Add(e.Data);
            host.ErrorDataReceived += (_, e) => log.Add(e.Data);
            host.BeginOutputReadLine();
            host.BeginErrorReadLine();
            var app = new FunctionsApp(host, log, secretsDir, url, storage, masterKey);
            try
            {
                await app.WaitHealthyAsync();
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
            return app;
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a non-HTTP function now through the host's admin API (as the portal's "Run" does) and waits until the host says it finished.</summary>
    public async Task RunFunctionAsync(string name, TimeSpan? timeout = null)
    {
        var executedBefore = _log.Count($"Executed 'Functions.{name}'");
        using var http = new HttpClient { BaseAddress = Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/functions/{name}")
        {
            Content = new StringContent("{\"input\":\"\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-functions-key", MasterKey);
        var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"POST /admin/functions/{name}: {(int)response.StatusCode}");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (_log.Count($"Executed 'Functions.{name}'") <= executedBefore)
        {
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"{name} did not finish within the timeout; the host's log: {_log.File}");
            await Task.Delay(50);
        }
    }

    private async Task WaitHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_host.HasExited)
                break;
            try
            {
                if ((await http.GetAsync(new Uri(Url, "/api/health"))).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new FunctionsHostNotHealthyException($"The Functions host did not become healthy at {Url} (exited: {_host.HasExited}); its log: {_log.File}. Last lines:\n{_log.Tail(40)}");
    }

    /// <summary>The host's file-based key store (AzureWebJobsSecretStorageType=files), written before it starts so the tests know the keys.</summary>
    private static Task WriteKeysAsync(string dir, string masterKey, string functionKey) =>
        File.WriteAllTextAsync(Path.Combine(dir, "host.json"), JsonSerializer.Serialize(new
        {
            masterKey = new { name = "master", value = masterKey, encrypted = false },
            functionKeys = new[] { new { name = "default", value = functionKey, encrypted = false } },
            systemKeys = Array.Empty<object>(),
            hostName = (string?)null,
            instanceId = "00000000000000000000000000000000",
            source = "runtime",
            decryptionKeyId = "",
        }));

    public async ValueTask DisposeAsync()
    {
        if (!_host.HasExited)
        {
            _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
        }
        _host.Dispose();
        _log.Close();
        await Storage.DisposeAsync();
        try
        {
            Directory.Delete(_secretsDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The host's console output as entries: a header line ("info: Category[0]") and its indented lines become one entry.</summary>
    /// <remarks>Also written to a file in the temp folder, named in every failure, for reading after a run.</remarks>
    private sealed class HostLog(CapturedLogs logs, string file)
    {
        public string File => file;
        private readonly StreamWriter _file = new(file, append: false) { AutoFlush = true };

        private readonly object _gate = new();
        private readonly List<string> _entries = [];
        private StringBuilder? _current;

        public void Add(string? line)
        {
            if (line is null)
                return;
            lock (_gate)
            {
                _file.WriteLine(line);
                var header = FunctionsHost.EntryHeader().Match(line);
                if (header.Success || _current is null || !line.StartsWith(' '))
                {
                    Flush();
                    _current = new StringBuilder(header.Success ? $"{header.Groups[1].Value} {header.Groups[2].Value}:" : line);
                }
                else
                {
                    _current.Append(' ').Append(line.Trim());
                }
                // The newest entry is visible at once (a test may be waiting for it), and replaced as it grows.
                logs.SetPending(_current.ToString());
            }
        }

        private void Flush()
        {
            if (_current is null)
                return;
            var entry = _current.ToString();
            _entries.Add(entry);
            // Added before it stops being pending: a reader in between would otherwise see it nowhere.
            logs.Add(entry);
            logs.SetPending(null);
            _current = null;
        }

        public void Close()
        {
            lock (_gate)
                _file.Dispose();
        }

        public int Count(string text)
        {
            lock (_gate)
                return _entries.Count(e => e.Contains(text, StringComparison.Ordinal))
                    + (_current?.ToString().Contains(text, StringComparison.Ordinal) == true ? 1 : 0);
        }

        public string Tail(int count)
        {
            lock (_gate)
                return string.Join('\n', _entries.TakeLast(count).Append(_current?.ToString() ?? ""));
        }
    }
}

/// <summary>The host started but did not answer health in time (on a loaded machine its start-up can outlast the wait).</summary>
public sealed class FunctionsHostNotHealthyException(string message) : Exception(message);
