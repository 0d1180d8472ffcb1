namespace FooBar.Hosting.Nginx.Tests;

/// <summary>
/// The front doors' metrics on a model built but never run: each door a status address of its own on loopback, an
/// exporter beside it that reads that door only, carried to OTLP under the door's name; nothing in a published model. No Docker.
/// </summary>
[Trait("Speed", "Fast")]
public sealed class NginxMetricsModelTests
{
    [Fact]
    public async Task Each_door_serves_its_figures_on_a_loopback_port_of_its_own_read_by_an_exporter_beside_it()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://localhost:18889";

        var doors = builder.AddNginxInstances("nginx", 2, port: 18080, door => door.WithDockerfile("/srv/nginx").WithMetricsExporter());

        var exporters = builder.Resources.OfType<ExecutableResource>().Where(e => e.Command == NginxMetricsExtensions.ExporterProgram).ToList();
        Assert.Equal(["nginx-1-exporter", "nginx-2-exporter"], exporters.Select(e => e.Name));
        using var app = builder.Build();
        var statusAddresses = new List<string>();
        foreach (var (exporter, door) in exporters.Zip(doors.Select(d => d.Resource)))
        {
            Assert.Same(door, Assert.Single(exporter.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent").Resource);
            // It starts once its door answers: the exporter gives up at its start if nginx does not.
            Assert.Same(door, Assert.Single(exporter.Annotations.OfType<WaitAnnotation>()).Resource);
            Assert.True(exporter.Annotations.OfType<OtlpExporterAnnotation>().Any());
            var status = await StatusAddressAsync(app, door);
            statusAddresses.Add(status);
            Assert.Matches(@"^127\.0\.0\.1:\d+$", status);
            var arguments = (await ConfigurationAsync(app, exporter)).Arguments;
            Assert.Contains($"-nginx.scrape-uri=http://{status}/stub_status", arguments);
            Assert.Single(arguments, a => a.StartsWith("-web.listen-address=127.0.0.1:", StringComparison.Ordinal));
        }
        // Every door in the host's network: each its own port, so each exporter reads its own door.
        Assert.Equal(2, statusAddresses.Distinct().Count());
    }

    [Fact]
    public void A_published_model_has_no_exporter_and_no_status_address()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);

        var nginx = Assert.Single(builder.AddNginxInstances("nginx", 2, port: 18080, door => door.WithMetricsExporter()));

        Assert.Empty(builder.Resources.OfType<ExecutableResource>());
        Assert.Empty(nginx.Resource.Annotations.OfType<EnvironmentCallbackAnnotation>());
    }

    [Fact]
    public void A_container_in_run_mode_is_refused_for_its_loopback_is_not_the_hosts()
    {
        var builder = DistributedApplication.CreateBuilder();

        Assert.Throws<NotSupportedException>(() => builder.AddNginx("nginx").WithMetricsExporter());
    }

    [Fact]
    public void Several_doors_are_shown_under_a_group_of_the_sites_name_and_one_door_is_its_own()
    {
        var several = DistributedApplication.CreateBuilder();
        var doors = several.AddNginxInstances("nginx", 2, port: 18080, _ => { });
        var single = DistributedApplication.CreateBuilder();
        single.AddNginxInstances("nginx", 1, port: 18080, _ => { });

        var group = Assert.Single(several.Resources.OfType<InstanceGroupResource>());
        Assert.Equal(("nginx", "front door"), (group.Name, group.Noun));
        Assert.Equal(doors.Select(d => (IResource)d.Resource), group.Members);
        Assert.Empty(single.Resources.OfType<InstanceGroupResource>());
    }

    private static async Task<string> StatusAddressAsync(DistributedApplication app, IResource door)
    {
        // Only this variable: the door's others name endpoints a run allocates.
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Run) { Services = app.Services }));
        foreach (var callback in door.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return Assert.IsType<string>(context.EnvironmentVariables[NginxMetricsExtensions.StatusListenVariable]);
    }

    // A resource's arguments as a run would give them.
    private static async Task<(List<string> Arguments, Dictionary<string, string> Environment)> ConfigurationAsync(DistributedApplication app, IResource resource)
    {
        var running = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Run) { Services = app.Services });
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig().WithEnvironmentVariablesConfig().BuildAsync(running);
        return (configuration.Arguments.Select(a => a.Value).ToList(), configuration.EnvironmentVariables.ToDictionary());
    }
}
