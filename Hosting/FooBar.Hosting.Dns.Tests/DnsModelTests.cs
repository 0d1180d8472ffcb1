using System.Net.Sockets;
using System.Text.RegularExpressions;
using FooBar.Hosting.Dns;

namespace FooBar.Hosting.Dns.Tests;

/// <summary>The DNS integration on a model built but never run: its endpoints and its zone's text. No Docker.</summary>
[Trait("Speed", "Fast")]
public sealed class DnsModelTests
{
    [Fact]
    public void AddDnsServer_runs_its_image_on_loopback_over_UDP_and_TCP_on_one_port_with_a_health_check()
    {
        var builder = DistributedApplication.CreateBuilder();

        var dns = builder.AddDnsServer("dns", "Example.Test.", port: 15353).WithReloadCommand();

        var image = Assert.Single(dns.Resource.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal((DnsContainerImageTags.Image, DnsContainerImageTags.Tag), (image.Image, image.Tag));
        var endpoints = dns.Resource.Annotations.OfType<EndpointAnnotation>().OrderBy(e => e.Name).ToList();
        Assert.Equal([("tcp", ProtocolType.Tcp, 15353, 53), ("udp", ProtocolType.Udp, 15353, 53)],
            endpoints.Select(e => (e.Name, e.Protocol, e.Port!.Value, e.TargetPort!.Value)));
        Assert.All(endpoints, e => Assert.False(e.IsProxied || e.IsExternal));
        Assert.Single(dns.Resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Contains(dns.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == DnsBuilderExtensions.ReloadCommandName);
        // The zone's name as DNS compares it: lower case, without the root's dot.
        Assert.Equal("example.test", dns.Resource.Zone.Name);
    }

    [Fact]
    public void The_zone_has_an_A_record_per_address_of_the_external_endpoints_and_a_CNAME_per_alias()
    {
        var builder = DistributedApplication.CreateBuilder();
        var dns = builder.AddDnsServer("dns", "example.test").WithAlias("www").WithAlias("api.");
        builder.AddContainer("door-1", "nginx").WithHttpEndpoint(port: 8080, isProxied: false).WithExternalHttpEndpoints();
        builder.AddContainer("door-2", "nginx").WithHttpEndpoint(port: 8081, isProxied: false).WithExternalHttpEndpoints();
        // Not reached by visitors: no record.
        builder.AddContainer("backend", "nginx").WithHttpEndpoint(port: 8082, isProxied: false);

        var zone = dns.Resource.Zone.Render(serial: 7);

        Assert.Matches(@"(?m)^@\t3600\tIN\tSOA\tns\.example\.test\. hostmaster\.example\.test\. \( 7 3600 600 604800 60 \)$", zone);
        Assert.Matches(@"(?m)^; door-1, door-2\n@\t300\tIN\tA\t127\.0\.0\.1$", zone);
        Assert.Single(Regex.Matches(zone, @"(?m)^@\t\d+\tIN\tA\t"));
        Assert.Matches(@"(?m)^www\t300\tIN\tCNAME\texample\.test\.$", zone);
        Assert.Matches(@"(?m)^api\t300\tIN\tCNAME\texample\.test\.$", zone);
        Assert.DoesNotContain("backend", zone);
    }

    [Fact]
    public void Every_builder_checks_its_arguments()
    {
        var builder = DistributedApplication.CreateBuilder();
        var dns = builder.AddDnsServer("dns", "example.test");

        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).AddDnsServer("dns", "example.test"));
        Assert.Throws<ArgumentException>(() => builder.AddDnsServer("other", ""));
        Assert.Throws<ArgumentException>(() => dns.WithAlias(""));
    }
}
