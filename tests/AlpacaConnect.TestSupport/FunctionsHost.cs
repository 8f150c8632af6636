using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace AlpacaConnect.TestSupport;

/// <summary>
/// How the tests run the Functions app under a real Functions host: <c>func start</c> when Azure
/// Functions Core Tools are on PATH, else the host built from source in <c>../shared/functions-host</c>
/// (built once per tarball, cached under the repository's ignored <c>.data/</c>). Neither: the
/// Functions-host tests skip with one line that says why, and fail under CI=true (IntegrationTests' HostSkip).
/// </summary>
public static partial class FunctionsHost
{
    private static readonly Lazy<Launcher?> Found = new(Find);
    private static readonly SemaphoreSlim BuildLock = new(1, 1);
    private static string? _builtHostDir;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string UnavailableReason =>
        "Functions-host tests skipped: `func` (Azure Functions Core Tools) is not on PATH and ../shared/functions-host " +
        "(the Functions host built from source) is not beside the repository. Install Core Tools to run them.";

    public static bool IsAvailable => Found.Value is not null;

    /// <summary>How the host is run here, for reports.</summary>
    public static string Description => Found.Value?.Description ?? "unavailable";

    /// <summary>The Functions app as the Worker SDK built it (worker.config.json, functions.metadata), same configuration as these tests.</summary>
    public static string AppDirectory
    {
        get
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            var dir = Path.Combine(RepositoryRoot, "src", "AlpacaConnect.Functions", "bin", configuration, "net10.0");
            return File.Exists(Path.Combine(dir, "worker.config.json"))
                ? dir
                : throw new InvalidOperationException($"The Functions app is not built at {dir} (worker.config.json missing); build the solution first.");
        }
    }

    public sealed record Launcher(string Description, string? Func, string? SharedHostFolder);

    public static Launcher Require() => Found.Value ?? throw new InvalidOperationException(UnavailableReason);

    /// <summary>The built host's output folder (build-host.sh's last line), built at most once per tarball checksum.</summary>
    public static async Task<string> BuiltHostAsync(Launcher launcher)
    {
        await BuildLock.WaitAsync();
        try
        {
            if (_builtHostDir is not null)
                return _builtHostDir;
            var tarball = Directory.GetFiles(launcher.SharedHostFolder!, "host-src-*.tar.gz").Single();
            var checksum = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(tarball)))[..16];
            var cache = Path.Combine(RepositoryRoot, ".data", "functions-host", checksum);
            var marker = Path.Combine(cache, "host-dir.txt");
            if (File.Exists(marker) && File.Exists(Path.Combine(await File.ReadAllTextAsync(marker), "Microsoft.Azure.WebJobs.Script.WebHost.dll")))
                return _builtHostDir = await File.ReadAllTextAsync(marker);

            Directory.CreateDirectory(cache);
            var build = Process.Start(new ProcessStartInfo("bash", [Path.Combine(launcher.SharedHostFolder!, "build-host.sh"), Path.Combine(cache, "build")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = build.StandardOutput.ReadToEndAsync();
            var stderr = build.StandardError.ReadToEndAsync();
            await build.WaitForExitAsync();
            var output = (await stdout).Trim();
            if (build.ExitCode != 0)
                throw new InvalidOperationException($"build-host.sh failed ({build.ExitCode}): {await stderr}");
            var hostDir = output.Split('\n')[^1].Trim();
            await File.WriteAllTextAsync(marker, hostDir);
            return _builtHostDir = hostDir;
        }
        finally
        {
            BuildLock.Release();
        }
    }

    private static Launcher? Find()
    {
        var func = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "func")).FirstOrDefault(File.Exists);
        if (func is not null)
            return new Launcher("func start (" + func + ")", func, null);
        // shared/ sits beside the repository (or beside a folder above it, as in CI's clone).
        for (var dir = Directory.GetParent(RepositoryRoot); dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "shared", "functions-host");
            if (File.Exists(Path.Combine(shared, "run-host.sh")) && Directory.Exists(shared) && Directory.GetFiles(shared, "host-src-*.tar.gz").Length == 1)
                return new Launcher("the Functions host built from " + shared, null, shared);
        }
        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AlpacaConnectFunctions.sln")))
                return dir.FullName;
        throw new InvalidOperationException("AlpacaConnectFunctions.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The console logger's entry header, e.g. "info: Function.AcceptTrade.User[0]".</summary>
    [GeneratedRegex(@"^(trce|dbug|info|warn|fail|crit): (\S+)\[\d+\]\s*$")]
    public static partial Regex EntryHeader();
}
