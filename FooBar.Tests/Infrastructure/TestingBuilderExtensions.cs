using Microsoft.Extensions.Logging;

namespace FooBar.Tests.Infrastructure;

public static class TestingBuilderExtensions
{
    /// <summary>What every test run of an AppHost needs: its own ports, a full clean-up, readable output.</summary>
    public static IDistributedApplicationTestingBuilder ConfigureForTests(this IDistributedApplicationTestingBuilder builder)
    {
        // A developer's own run of the stack may hold the fixed ports; tests get free ones.
        builder.Configuration["DcpPublisher:RandomizePorts"] = "true";
        // That leaves endpoints without a proxy on their fixed ports (nginx's 8080, web's 5193): free them too.
        foreach (var endpoint in builder.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()).Where(e => e.IsExplicitlyProxied == false))
        {
            endpoint.Port = null;
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
}
