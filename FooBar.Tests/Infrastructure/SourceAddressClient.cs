using System.Net;
using System.Net.Sockets;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// A client of the site whose connections come from another loopback address than the AppHost's (127.0.0.2, say): a
/// visitor that nginx, in the host's network, tells apart from the tests' other clients by its address alone.
/// </summary>
public static class SourceAddressClient
{
    /// <summary>A client of <paramref name="site"/> for www.foobar.com whose every connection is bound to <paramref name="source"/>.</summary>
    public static HttpClient Create(IPAddress source, Uri site) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = site,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Host = "www.foobar.com" },
    };
}
