using System.Net;
using System.Net.Sockets;

namespace AlpacaConnect.TestSupport;

public static class FreePort
{
    /// <summary>The Sandbox must know the Server's callback URL before either starts, so ports are chosen up front.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
