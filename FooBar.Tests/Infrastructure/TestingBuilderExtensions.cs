using FooBar.Hosting.Processes;
using Microsoft.Extensions.Logging;

namespace FooBar.Tests.Infrastructure;

public static class TestingBuilderExtensions
{
    /// <summary>What every test run of an AppHost needs: its own ports, a full clean-up, readable output.</summary>
    public static IDistributedApplicationTestingBuilder ConfigureForTests(this IDistributedApplicationTestingBuilder builder)
    {
        // A developer's own run of the stack may hold the fixed ports; tests get free ones.
        builder.Configuration["DcpPublisher:RandomizePorts"] = "true";
        // That leaves endpoints without a proxy on their fixed ports (nginx's 8080, web's 5193): free them too. Endpoints
        // that share a port (the front doors' site address) share a free one.
        foreach (var shared in builder.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>())
            .Where(e => e.IsExplicitlyProxied == false).GroupBy(e => e.Port))
        {
            var port = shared.Key is not null && shared.Count() > 1 ? FreePorts.OnAll([System.Net.IPAddress.Loopback]) : (int?)null;
            foreach (var endpoint in shared)
            {
                endpoint.Port = port;
            }
        }
        // Dispose returns only once DCP has removed the containers and networks it created.
        builder.Configuration["DcpPublisher:WaitForResourceCleanup"] = "true";
        // Containers' stderr arrives as errors (MariaDB writes all it says there), which would bury the
        // test results; a stack that fails to start reports its resources' logs itself (StackFixture).
        builder.Services.AddLogging(logging => logging
            .AddFilter("FooBar.AppHost.Resources", LogLevel.None)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            // Tests that stop MySQL remove its container while its log is streamed, which DCP reports as errors.
            .AddFilter("Aspire.Hosting.Dcp.DcpExecutor", LogLevel.None)
            // "Unhealthy" is expected while servers boot; a server that never gets healthy fails the wait.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        return builder;
    }

    /// <summary>
    /// The AppHost keeps MySQL's data in named volumes (the server's, or each cluster node's), shared with a developer's own
    /// runs; the tests must neither see nor change that data, nor leave a volume behind. MySQL starts empty: in volumes
    /// of the test's own, named from <paramref name="volumeName"/> (the server's is that name, node N's that name and
    /// "-mysql-N"), or in none, its data living as long as the container. Returns the volumes, which the test removes.
    /// </summary>
    public static IReadOnlyList<string> UseThrowawayMySqlData(this IDistributedApplicationTestingBuilder builder, string? volumeName)
    {
        var volumes = new List<string>();
        foreach (var mysql in builder.Resources.OfType<ContainerResource>().Where(r => r is MySqlServerResource or MySqlClusterNodeResource))
        {
            foreach (var volume in mysql.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.Volume).ToList())
            {
                mysql.Annotations.Remove(volume);
            }
        }
        if (volumeName is null)
        {
            return volumes;
        }
        foreach (var server in builder.Resources.OfType<MySqlServerResource>())
        {
            builder.CreateResourceBuilder(server).WithDataVolume(volumeName);
            volumes.Add(volumeName);
        }
        foreach (var cluster in builder.Resources.OfType<MySqlClusterResource>())
        {
            builder.CreateResourceBuilder(cluster).WithDataVolumes(volumeName);
            volumes.AddRange(cluster.Nodes.Select(node => $"{volumeName}-{node.Name}"));
        }
        return volumes;
    }
}
