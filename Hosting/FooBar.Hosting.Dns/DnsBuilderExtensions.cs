using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using DnsClient;
using DnsClient.Protocol;
using FooBar.Hosting.Processes;
using FooBar.Hosting.Dns;
using FooBar.Hosting.Swarm;
using Microsoft.Extensions.DependencyInjection;

namespace FooBar.Hosting;

/// <summary>
/// An authoritative DNS server for one zone, whose file the AppHost writes from the model. The container follows
/// the contract of FooBar's recipe (<c>images/dns</c>, Debian's NSD): it serves the zones listed in
/// <c>/etc/nsd/zones/zones.conf</c> from files in that folder, answers on port 53 over UDP and TCP, and reloads a
/// zone with <c>nsd-control reload &lt;zone&gt;</c> while it keeps answering.
/// </summary>
public static class DnsBuilderExtensions
{
    /// <summary>The name of the command <see cref="WithReloadCommand"/> adds.</summary>
    public const string ReloadCommandName = "reload";

    private const string ZonesDirectory = "/etc/nsd/zones";
    private static readonly TimeSpan ReloadSeenTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Adds a DNS server for <paramref name="zone"/> on loopback (UDP and TCP on one port). The zone has its SOA and NS,
    /// and the apex's A records: the address of every resource with an external endpoint, read from the model each time
    /// the zone is written (on every start, and by <see cref="WithReloadCommand"/>). Healthy once it answers the zone's
    /// SOA over UDP with authority. A published Swarm stack runs it on every node, its zone a config whose A records are
    /// the addresses visitors reach the swarm at (<see cref="SwarmEnvironmentResource.SiteAddresses"/>).
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource's name, also its connection string's name.</param>
    /// <param name="zone">The zone it is authoritative for, such as <c>foobar.com</c>.</param>
    /// <param name="port">The host port, for UDP and TCP alike (on loopback); a free one when null.</param>
    /// <returns>The server's resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddDnsServer("dns", "foobar.com", port: 8053).WithDockerfile("../images/dns").WithAlias("www");
    /// </code>
    /// </example>
    public static IResourceBuilder<DnsServerResource> AddDnsServer(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, string zone, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(zone);

        var folder = RunFolder.Create(name);
        var server = new DnsServerResource(name, new DnsZone(zone, folder.Path, builder.Resources));
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            healthCheckKey, _ => new DnsHealthCheck(server), failureStatus: null, tags: null));

        var resource = builder.AddResource(server)
            .WithImage(DnsContainerImageTags.Image, DnsContainerImageTags.Tag)
            // Published straight to loopback, as a resolver expects: no proxy of Aspire's, which would carry TCP only.
            .WithEndpoint(port: port, targetPort: 53, scheme: "udp", name: DnsServerResource.UdpEndpointName, isProxied: false,
                protocol: ProtocolType.Udp)
            .WithEndpoint(port: port, targetPort: 53, scheme: "tcp", name: DnsServerResource.TcpEndpointName, isProxied: false)
            .WithBindMount(folder.Path, ZonesDirectory, isReadOnly: true)
            .WithHealthCheck(healthCheckKey)
            // A published stack's orchestrator asks the same question from inside the container (images/dns/dns-ready).
            .WithAnnotation(new ContainerHealthCheckAnnotation(["CMD", "dns-ready", server.Zone.Name]))
            // Before every start, a zone from the model as it is now.
            .OnBeforeResourceStarted((_, _, cancellationToken) => server.Zone.WriteAsync(cancellationToken))
            .PublishAsSwarmService(context => PublishToSwarm(context, server));
        return resource;
    }

    // On every node, UDP and TCP on the model's port (DNS_PORT at deploy); the zone, written now, as configs.
    private static void PublishToSwarm(SwarmServiceContext context, DnsServerResource server)
    {
        var udp = server.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == DnsServerResource.UdpEndpointName);
        var port = udp.Port ?? udp.TargetPort!.Value;
        context.PublishPort($"{context.ServiceName(server)}_PORT", port, udp.TargetPort!.Value, "udp");
        context.PublishPort($"{context.ServiceName(server)}_PORT", port, udp.TargetPort!.Value, "tcp");
        context.RunOnEveryNode();
        var apex = context.SiteAddresses.Select(address => (address, (IReadOnlyList<string>)["where visitors reach the swarm"])).ToList();
        var serial = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        context.AddConfig($"{server.Name}-zones", server.Zone.ZoneList, $"{ZonesDirectory}/zones.conf");
        context.AddConfig($"{server.Name}-zone", server.Zone.Render(serial, apex, context.SiteAddresses[0]), $"{ZonesDirectory}/{server.Zone.Name}.zone");
    }

    /// <summary>
    /// Gives <paramref name="builder"/> the server's address as connection string <c>dns</c> (<c>127.0.0.1:8053</c>), to
    /// resolve the zone's names through it; in run mode only, as the server is.
    /// </summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="builder">The resource that resolves through the server.</param>
    /// <param name="dns">The DNS server.</param>
    /// <returns>The resource's builder.</returns>
    public static IResourceBuilder<T> WithDnsServer<T>(this IResourceBuilder<T> builder, IResourceBuilder<DnsServerResource> dns)
        where T : IResourceWithEnvironment =>
        builder.ApplicationBuilder.ExecutionContext.IsRunMode ? builder.WithReference(dns) : builder;

    /// <summary>Adds <c>&lt;label&gt;.&lt;zone&gt; CNAME &lt;zone&gt;</c>: another name for the apex (<c>www</c>).</summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="label">The name relative to the zone, such as <c>www</c>.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<DnsServerResource> WithAlias(this IResourceBuilder<DnsServerResource> builder, string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        builder.Resource.Zone.AddAlias(label.TrimEnd('.'));
        return builder;
    }

    /// <summary>
    /// Adds a "Reload zone" command: the zone is written again from the model (a new serial, the front doors as they
    /// are now) and the server reads it while it keeps answering from the old copy; the command succeeds once the
    /// server answers with the new serial.
    /// </summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<DnsServerResource> WithReloadCommand(this IResourceBuilder<DnsServerResource> builder) =>
        builder.WithCommand(ReloadCommandName, "Reload zone", async context =>
        {
            if (RunningContainer.Of(context) is not { } container)
            {
                return CommandResults.Failure("The DNS server is not running.");
            }
            var server = builder.Resource;
            var serial = await server.Zone.WriteAsync(context.CancellationToken);
            var (exitCode, output) = await DockerCli.RunAsync(
                ["exec", container, "nsd-control", "reload", server.Zone.Name], context.CancellationToken);
            if (exitCode != 0)
            {
                return CommandResults.Failure($"nsd-control reload failed: {output.Trim()}");
            }
            return await ServesSerialAsync(server, serial, context.CancellationToken)
                ? CommandResults.Success()
                : CommandResults.Failure($"{server.Zone.Name} did not answer with serial {serial} within {ReloadSeenTimeout}.");
        },
        new CommandOptions
        {
            Description = "Write the zone again from the model, with a new serial, and have the server read it while it answers.",
            IconName = "ArrowSync",
            UpdateState = RunningContainer.EnabledWhileRunning,
        });

    private static async Task<bool> ServesSerialAsync(DnsServerResource server, uint serial, CancellationToken cancellationToken)
    {
        var client = DnsHealthCheck.Client(new IPEndPoint(IPAddress.Loopback, server.UdpEndpoint.Port));
        var deadline = DateTime.UtcNow + ReloadSeenTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.QueryAsync(server.Zone.Name, QueryType.SOA, cancellationToken: cancellationToken);
            if (response.Answers.SoaRecords().FirstOrDefault()?.Serial == serial)
            {
                return true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
        return false;
    }
}
