using System.Net;
using System.Net.Sockets;
using DnsClient;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The stack's own DNS server as a visitor's resolver meets it: queries with DnsClient, and an HTTP client that finds
/// the site's address by asking it (following the CNAME) instead of being told.
/// </summary>
public sealed class StackDns(IPEndPoint server)
{
    public IPEndPoint Server { get; } = server;

    /// <summary>The stack's DNS server, on loopback at the port the AppHost gave it.</summary>
    public static StackDns Of(DistributedApplication app) =>
        new(new IPEndPoint(IPAddress.Loopback, app.GetEndpoint("dns", "udp").Port));

    /// <summary>A client that asks only this server, with no cache and no retry, asking for recursion as a stub resolver does.</summary>
    public LookupClient Client(bool tcp = false) => new(new LookupClientOptions(Server)
    {
        UseCache = false,
        Retries = 0,
        Timeout = TimeSpan.FromSeconds(2),
        UseTcpOnly = tcp,
        ThrowDnsErrors = false,
        ContinueOnDnsError = false,
        ContinueOnEmptyResponse = false,
    });

    /// <summary>
    /// An HTTP client for <c>https://&lt;host&gt;:&lt;sitePort&gt;/</c> (or <paramref name="scheme"/>) that connects where this server's A records say
    /// (the CNAME followed): the visitor's path, steps 2 to 4.
    /// </summary>
    public HttpClient SiteClient(int sitePort, string host = "www.foobar.com", string scheme = "https")
    {
        var client = Client();
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                // The answer holds the CNAME and the A records of the name it points to: the chain followed.
                var answer = await client.QueryAsync(context.DnsEndPoint.Host, QueryType.A, cancellationToken: cancellationToken);
                if (answer.Answers.ARecords().FirstOrDefault()?.Address is not { } address)
                {
                    throw new HttpRequestException($"The stack's DNS has no A record for {context.DnsEndPoint.Host}.");
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"{scheme}://{host}:{sitePort}/"), Timeout = TimeSpan.FromSeconds(30) };
    }
}
