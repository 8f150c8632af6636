using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Webhooks;

/// <summary>
/// Keeps webhook deliveries on the public internet: https only, and never to loopback, private,
/// link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast or unspecified
/// addresses. Checked when a subscription is created and again at connect time, on the address
/// actually dialled, so a DNS answer that changes after the check (rebinding) gains nothing.
/// </summary>
public sealed class TargetGuard(IOptions<WebhookOptions> options, bool isDevelopment)
{
    public bool AllowPrivate => options.Value.AllowPrivateTargets ?? isDevelopment;

    /// <summary>Why a subscription URL is refused, or null when it is acceptable.</summary>
    public async Task<string?> RefusalAsync(string? url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return "Must be an absolute https URL.";
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return "Must not carry credentials in the URL.";
        if (AllowPrivate)
            return null;
        if (uri.Scheme != "https")
            return "Must be https.";
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.DnsSafeHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.DnsSafeHost, ct);
        }
        catch (SocketException)
        {
            return $"The host '{uri.Host}' does not resolve.";
        }
        return addresses.Length == 0 ? $"The host '{uri.Host}' does not resolve."
            : addresses.Any(IsForbidden) ? $"The host '{uri.Host}' resolves to a loopback, private, link-local or metadata address." : null;
    }

    /// <summary>SocketsHttpHandler.ConnectCallback: resolve, refuse forbidden addresses, connect to an allowed one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = AllowPrivate ? addresses : addresses.Where(a => !IsForbidden(a)).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Refused to connect to '{host}': it resolves only to loopback, private, link-local or metadata addresses.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
            return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (address.GetAddressBytes()[0] & 0xFE) == 0xFC;
        var b = address.GetAddressBytes();
        return b[0] == 0 || b[0] == 10 || b[0] == 127
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] is >= 64 and <= 127)
            || b[0] >= 224;
    }
}
