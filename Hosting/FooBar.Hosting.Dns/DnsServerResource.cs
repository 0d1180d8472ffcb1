namespace FooBar.Hosting;

/// <summary>
/// An authoritative DNS server in a container, answering for one zone (<see cref="Zone"/>) and nothing else, over UDP
/// and TCP on the same port. Its connection string is that address (<c>127.0.0.1:8053</c>), for a client that resolves
/// the zone's names through it.
/// </summary>
/// <param name="name">The resource's name, also its connection string's name.</param>
/// <param name="zone">The zone it serves, written by the AppHost.</param>
public sealed class DnsServerResource(string name, DnsZone zone) : ContainerResource(name), IResourceWithConnectionString
{
    internal const string UdpEndpointName = "udp";
    internal const string TcpEndpointName = "tcp";

    /// <summary>Gets the zone the server answers for.</summary>
    public DnsZone Zone { get; } = zone ?? throw new ArgumentNullException(nameof(zone));

    /// <summary>Gets the endpoint queries arrive on over UDP (53 in the container).</summary>
    public EndpointReference UdpEndpoint => field ??= new(this, UdpEndpointName);

    /// <summary>Gets the server's address, <c>IPv4:port</c>, which UDP and TCP share.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{UdpEndpoint.Property(EndpointProperty.IPV4Host)}:{UdpEndpoint.Property(EndpointProperty.Port)}");
}
