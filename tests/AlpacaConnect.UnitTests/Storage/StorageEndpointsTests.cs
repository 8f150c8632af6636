using AlpacaConnect.Core.Storage;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace AlpacaConnect.UnitTests.Storage;

/// <summary>A storage call is told by the account it addresses, not by Azurite's ports.</summary>
public sealed class StorageEndpointsTests
{
    [Fact]
    public void Azurites_path_style_endpoints_are_storage_and_nothing_else_on_that_host_is()
    {
        const string connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            + "TableEndpoint=http://127.0.0.1:20002/devstoreaccount1;QueueEndpoint=http://127.0.0.1:20001/devstoreaccount1;";
        var storage = new StorageEndpoints(new TableServiceClient(connection), new QueueServiceClient(connection));

        // Ports other than 10000-10002: the account is what counts.
        Assert.True(storage.Serves(new Uri("http://127.0.0.1:20002/devstoreaccount1/trades(PartitionKey='a',RowKey='b')")));
        Assert.True(storage.Serves(new Uri("http://127.0.0.1:20001/devstoreaccount1/trade-executions/messages")));
        Assert.False(storage.Serves(new Uri("http://127.0.0.1:20001/otheraccount/trade-executions/messages")));
        Assert.False(storage.Serves(new Uri("http://127.0.0.1:20001/devstoreaccount10/x")));
        // The Sandbox (Alpaca) and a webhook receiver on the same host are traced.
        Assert.False(storage.Serves(new Uri("http://127.0.0.1:7072/v2/orders")));
        Assert.False(storage.Serves(new Uri("http://127.0.0.1:10001/hooks")));
    }

    [Fact]
    public void An_azure_accounts_service_uris_are_storage()
    {
        var storage = new StorageEndpoints(new Uri("https://acct.table.core.windows.net"), new Uri("https://acct.queue.core.windows.net/"));

        Assert.True(storage.Serves(new Uri("https://acct.queue.core.windows.net/trade-executions/messages?numofmessages=16")));
        Assert.True(storage.Serves(new Uri("https://ACCT.table.core.windows.net/Tables")));
        Assert.False(storage.Serves(new Uri("https://other.queue.core.windows.net/trade-executions/messages")));
        Assert.False(storage.Serves(new Uri("http://acct.queue.core.windows.net/trade-executions/messages")));
        Assert.False(storage.Serves(new Uri("https://paper-api.alpaca.markets/v2/orders")));
    }
}
