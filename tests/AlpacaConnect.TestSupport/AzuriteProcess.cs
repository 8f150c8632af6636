using System.Diagnostics;
using System.Net.Sockets;

namespace AlpacaConnect.TestSupport;

/// <summary>An Azurite of one test system's own (in memory, loopback ports picked here), from the repository's pinned npm install.</summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    private AzuriteProcess(Process process, int blob, int queue, int table)
    {
        _process = process;
        BlobPort = blob;
        QueuePort = queue;
        TablePort = table;
    }

    public static async Task<AzuriteProcess> StartAsync()
    {
        var script = Path.Combine(FunctionsHost.RepositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
            throw new InvalidOperationException($"Azurite is not installed at {script}; eng/test.sh installs it (npm ci).");
        int blob = FreePort.Next(), queue = FreePort.Next(), table = FreePort.Next();
        // The same flags as eng/common.sh: --skipApiVersionCheck for current Azure.Storage clients, no telemetry.
        var process = Process.Start(new ProcessStartInfo("node",
        [
            script, "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--inMemoryPersistence",
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", table.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, blob, queue, table);
        // Up to 60 s: on a loaded 2-core machine node needs well over the 15 s this once allowed to
        // load Azurite and bind three ports (the order-events benchmark's Functions half broke there).
        for (var i = 0; i < 600; i++)
        {
            if (Listening(blob) && Listening(queue) && Listening(table))
                return azurite;
            if (process.HasExited)
                break;
            await Task.Delay(100);
        }
        await azurite.DisposeAsync();
        throw new InvalidOperationException($"Azurite did not listen on {blob}/{queue}/{table}.");
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        // Idempotent: a failed start disposes once in FunctionsApp and again in its caller's cleanup,
        // and a second Dispose must not replace the start's own exception with "no process".
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
