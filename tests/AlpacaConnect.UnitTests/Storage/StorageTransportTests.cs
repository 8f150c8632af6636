using System.Net;
using System.Net.Sockets;
using AlpacaConnect.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.UnitTests.Storage;

public sealed class StorageTransportTests
{
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// A burst of storage calls waits in the client's pool once the limit's connections are open,
    /// rather than dialling one connection per call (Azurite stalled fresh connections for seconds).
    /// </summary>
    [Fact]
    public async Task A_burst_of_storage_calls_opens_no_more_connections_than_the_limit()
    {
        // A storage endpoint that accepts connections and never answers: every call holds its connection.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = new List<Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                lock (accepted)
                    accepted.Add(socket);
            }
        });

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};"
                + $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
            ["Storage:MaxConnectionsPerEndpoint"] = "3",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddAlpacaConnectCore(configuration).BuildServiceProvider();
        var table = services.GetRequiredService<TableServiceClient>().GetTableClient("trades");

        using var calls = new CancellationTokenSource();
        var burst = Enumerable.Range(0, 12).Select(i => table.GetEntityIfExistsAsync<TableEntity>("user", $"row{i}", cancellationToken: calls.Token)).ToList();
        await WaitUntilAsync(() => Count(accepted) >= 3);
        await Task.Delay(500); // time for any connection beyond the limit to arrive

        Assert.Equal(3, Count(accepted));
        await calls.CancelAsync();
        await Task.WhenAll(burst.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));
        await stop.CancelAsync();
        await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var socket in accepted)
            socket.Dispose();
    }

    private static int Count(List<Socket> sockets)
    {
        lock (sockets)
            return sockets.Count;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 20)
        {
            Assert.True(waited < 10_000, "The storage client opened no connection within 10 s.");
            await Task.Delay(20);
        }
    }
}
