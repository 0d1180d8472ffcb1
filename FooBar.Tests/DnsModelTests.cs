using System.Text.RegularExpressions;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The stack's DNS server in the model, built but not started: the zone's text in each mode, without Docker.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class DnsModelTests
{
    [Theory]
    [InlineData(new string[0], "nginx")]
    [InlineData(new[] { "--FooBar:WebInstances=3" }, "nginx")]
    [InlineData(new[] { "--FooBar:HighAvailability=true" }, "nginx-1, nginx-2")]
    public async Task The_zone_has_SOA_NS_one_A_record_for_the_front_doors_on_loopback_and_www_as_a_CNAME(string[] args, string frontDoors)
    {
        await using var appHost = await AppHostModel.CreateAsync(args);
        var dns = appHost.Resources.OfType<DnsServerResource>().Single();

        var zone = dns.Zone.Render(serial: 1_800_000_000);

        Assert.Equal("foobar.com", dns.Zone.Name);
        Assert.Matches(@"(?m)^@\t3600\tIN\tSOA\tns\.foobar\.com\. hostmaster\.foobar\.com\. \( 1800000000 3600 600 604800 60 \)$", zone);
        Assert.Matches(@"(?m)^@\t3600\tIN\tNS\tns\.foobar\.com\.$", zone);
        Assert.Matches(@"(?m)^ns\t3600\tIN\tA\t127\.0\.0\.1$", zone);
        // Every front door listens on 127.0.0.1 on this machine: one record, its doors named above it.
        Assert.Matches($@"(?m)^; {Regex.Escape(frontDoors)}\n@\t300\tIN\tA\t127\.0\.0\.1$", zone);
        Assert.Single(Regex.Matches(zone, @"(?m)^@\t\d+\tIN\tA\t"));
        Assert.Matches(@"(?m)^www\t300\tIN\tCNAME\tfoobar\.com\.$", zone);
        // Nothing else: SOA, NS, two A records and the CNAME.
        Assert.Equal(5, Regex.Matches(zone, @"(?m)^[^;$].*\tIN\t").Count);
    }

    [Fact]
    public async Task Each_write_of_the_zone_has_a_higher_serial_from_the_time_of_writing()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        var zone = appHost.Resources.OfType<DnsServerResource>().Single().Zone;
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var first = await zone.WriteAsync(CancellationToken.None);
        var second = await zone.WriteAsync(CancellationToken.None);

        Assert.InRange(first, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(second > first, $"{second} > {first}");
        Assert.Contains($"( {second} 3600", await File.ReadAllTextAsync(zone.ZoneFile));
        Assert.Contains("zonefile: \"foobar.com.zone\"", await File.ReadAllTextAsync(Path.Combine(zone.Folder, "zones.conf")));
    }

    [Fact]
    public async Task The_DNS_server_listens_on_loopback_port_8053_over_UDP_and_TCP_with_a_health_check_and_a_reload_command()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        var dns = appHost.Resources.OfType<DnsServerResource>().Single();

        var endpoints = dns.Annotations.OfType<EndpointAnnotation>().OrderBy(e => e.Name).ToList();
        Assert.Equal([("tcp", System.Net.Sockets.ProtocolType.Tcp, 8053, 53), ("udp", System.Net.Sockets.ProtocolType.Udp, 8053, 53)],
            endpoints.Select(e => (e.Name, e.Protocol, e.Port!.Value, e.TargetPort!.Value)));
        Assert.All(endpoints, e => Assert.False(e.IsProxied || e.IsExternal));
        Assert.Single(dns.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Contains(dns.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == DnsBuilderExtensions.ReloadCommandName);
        Assert.Equal("/etc/nsd/zones", Assert.Single(dns.Annotations.OfType<ContainerMountAnnotation>(), m => m.IsReadOnly).Target);
    }

    [Fact]
    public async Task The_app_learns_the_DNS_servers_address_from_its_connection_string()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        await using var app = await appHost.BuildAsync();

        var environment = await AppHostModel.EnvironmentAsync(app, appHost.Resources.OfType<ProjectResource>().Single());

        Assert.Equal("{dns.connectionString}", environment["ConnectionStrings__dns"]);
    }
}
