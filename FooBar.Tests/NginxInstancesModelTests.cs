using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// <c>AddNginxInstances</c> on a bare <c>DistributedApplication.CreateBuilder()</c>, built but never run: the doors exist
/// from the start, the builder only adds, and the order of calls does not change what a door gets. No Docker engine.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class NginxInstancesModelTests
{
    private static readonly string Recipe = Path.Combine(Repository.Root, "nginx");

    [Fact]
    public void The_doors_are_resources_from_the_start_and_nothing_is_removed_from_the_model()
    {
        var builder = DistributedApplication.CreateBuilder();
        var web = builder.AddProjectInstances<Projects.FooBar_Web>("web", 2, _ => { });
        var before = builder.Resources.ToList();

        var seen = new List<string>();
        var doors = builder.AddNginxInstances("nginx", 3, port: 18080, door =>
        {
            // Each door is in the model already while it is configured.
            Assert.Contains(door.Resource, builder.Resources);
            seen.Add(door.Resource.Name);
            door.WithDockerfile(Recipe).WithUpstream("web", web);
        });

        Assert.Equal(["nginx-1", "nginx-2", "nginx-3"], seen);
        Assert.Equal(seen, doors.Select(d => d.Resource.Name));
        Assert.All(doors, d => Assert.IsType<NginxFrontDoorResource>(d.Resource));
        // The doors, then the group that stands for them (nginx, Degraded while not all answer).
        var group = Assert.IsType<InstanceGroupResource>(builder.Resources.Last());
        Assert.Equal([.. before, .. doors.Select(d => (IResource)d.Resource), group], builder.Resources);
        // The shared address with reuseport, and each door's own for its probe: the site's port + its number.
        Assert.All(doors, d => Assert.Equal(18080, d.Resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http").Port));
        Assert.Equal([18081, 18082, 18083], doors.Select(d => d.Resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "health").Port!.Value));
    }

    [Fact]
    public void One_door_is_named_after_the_site_alone_on_its_address_and_probed_there()
    {
        var builder = DistributedApplication.CreateBuilder();

        var doors = builder.AddNginxInstances("nginx", 1, port: 18080, door => door.WithDockerfile(Recipe).WithHealthProbe("/nginx/health"));

        var door = Assert.IsType<NginxFrontDoorResource>(Assert.Single(doors).Resource);
        Assert.Equal("nginx", door.Name);
        Assert.False(door.Shared);
        Assert.Equal(["http"], door.Annotations.OfType<EndpointAnnotation>().Select(e => e.Name));
        Assert.Equal(("http", "/nginx/health"), door.Annotations.OfType<HttpHealthCheckAnnotation>().Select(h => (h.EndpointName, h.Path)).Single());
        // No other door to answer while it restarts: no rolling restart of the doors.
        doors.WithRollingRestartOfDoorsCommand();
        Assert.DoesNotContain(door.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxInstancesExtensions.RollingRestartDoorsCommandName);
    }

    [Fact]
    public async Task A_call_after_the_doors_are_made_reaches_every_door_as_one_inside_their_configuration_does()
    {
        var inside = DistributedApplication.CreateBuilder();
        var insideWeb = inside.AddProjectInstances<Projects.FooBar_Web>("web", 2, _ => { });
        var configured = inside.AddNginxInstances("nginx", 2, port: 18080, door => door
            .WithHealthProbe("/nginx/health")
            .WithTls("/etc/foobar/tls/site.pem", port: 18443)
            .WithUpstream("web", insideWeb)
            .WithDockerfile(Recipe))
            .WithRollingRestartCommand(insideWeb)
            .WithRollingRestartOfDoorsCommand();

        var after = DistributedApplication.CreateBuilder();
        var afterWeb = after.AddProjectInstances<Projects.FooBar_Web>("web", 2, _ => { });
        // The commands first, the configuration last and in another order: the same doors.
        var doors = after.AddNginxInstances("nginx", 2, port: 18080, _ => { })
            .WithRollingRestartOfDoorsCommand()
            .WithRollingRestartCommand(afterWeb);
        foreach (var door in doors)
        {
            door.WithDockerfile(Recipe).WithUpstream("web", afterWeb).WithTls("/etc/foobar/tls/site.pem", port: 18443).WithHealthProbe("/nginx/health");
        }

        using var insideApp = inside.Build();
        using var afterApp = after.Build();
        foreach (var (one, other) in configured.Zip(doors))
        {
            Assert.Equal(Shape(one.Resource), Shape(other.Resource));
            Assert.Equal(await EnvironmentAsync(insideApp, one.Resource), await EnvironmentAsync(afterApp, other.Resource));
            Assert.Equal(["web-1", "web-2"], other.Resource.Annotations.OfType<NginxUpstream>().Single().Servers.Select(s => s.Name));
            Assert.Equal([NginxCommandExtensions.RollingRestartCommandName, NginxInstancesExtensions.RollingRestartDoorsCommandName],
                other.Resource.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).Where(n => n.StartsWith("rolling-")).Order());
            // Its health is asked on its own address, whenever the probe was added.
            Assert.Equal("health", other.Resource.Annotations.OfType<HttpHealthCheckAnnotation>().Single().EndpointName);
        }
        // Each web instance listens on one socket, however many doors reach it.
        foreach (var instance in afterWeb)
        {
            var urls = (await EnvironmentAsync(afterApp, instance.Resource))["ASPNETCORE_URLS"];
            Assert.Single(urls.Split(';'), url => url.StartsWith("http://unix:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Doors_that_share_an_address_need_its_port()
    {
        var builder = DistributedApplication.CreateBuilder();

        Assert.Throws<ArgumentException>(() => builder.AddNginxInstances("nginx", 2, port: null, _ => { }));
        Assert.Throws<InvalidOperationException>(() => builder.AddNginxInstances("site", 2, port: 18080, door => door.WithTls("/etc/foobar/tls/site.pem")));
    }

    [Fact]
    public void A_published_stack_gets_one_nginx_container_however_many_doors_run()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);

        var doors = builder.AddNginxInstances("nginx", 2, port: 18080, door => door.WithDockerfile(Recipe));

        var nginx = Assert.IsType<NginxResource>(Assert.Single(doors).Resource);
        Assert.Equal("nginx", nginx.Name);
        Assert.Single(nginx.Annotations.OfType<DockerfileBuildAnnotation>());
        Assert.Empty(builder.Resources.OfType<NginxFrontDoorResource>());
    }

    // What a door was given, by kind, in a fixed order: endpoints, mounts' targets, health checks, commands.
    private static string[] Shape(IResource door) =>
    [
        .. door.Annotations.OfType<EndpointAnnotation>().Select(e => $"endpoint {e.Name} {e.Port} {e.IsProxied} {e.IsExternal}").Order(),
        .. door.Annotations.OfType<ContainerMountAnnotation>().Select(m => $"mount {m.Target} {m.IsReadOnly}").Order(),
        .. door.Annotations.OfType<HealthCheckAnnotation>().Select(h => $"health {h.Key}").Order(),
        .. door.Annotations.OfType<ResourceCommandAnnotation>().Select(c => $"command {c.Name}").Order(),
    ];

    // A resource's environment as a published stack would render it: references as expressions, nothing resolved.
    private static async Task<Dictionary<string, string>> EnvironmentAsync(DistributedApplication app, IResource resource)
    {
        var publishing = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Publish) { Services = app.Services });
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig().BuildAsync(publishing);
        return configuration.EnvironmentVariables.ToDictionary();
    }
}
