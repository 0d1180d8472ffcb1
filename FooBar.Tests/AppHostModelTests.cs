namespace FooBar.Tests;

/// <summary>The AppHost's model, built but not started: what the topology says, without containers.</summary>
public sealed class AppHostModelTests
{
    [Fact]
    public async Task MySQL_runs_the_configured_local_image_by_default()
    {
        var image = await MySqlImageAsync();

        Assert.Equal(("foobar/mysql-compatible", "mariadb-10.11", (string?)null), image);
    }

    [Fact]
    public async Task MySQL_falls_back_to_the_official_image_when_the_configured_one_is_cleared()
    {
        var image = await MySqlImageAsync("--ContainerImages:mysql=");

        Assert.Equal(("mysql", "8.4", (string?)null), image);
    }

    [Fact]
    public async Task Topology_is_nginx_in_front_of_web_in_front_of_the_database()
    {
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>();

        var nginx = appHost.Resources.OfType<NginxResource>().Single();
        var web = appHost.Resources.OfType<ProjectResource>().Single();
        var database = appHost.Resources.OfType<MySqlDatabaseResource>().Single();

        Assert.Equal(["web"], WaitsFor(nginx).ToArray());
        // Waiting for the app's login waits for its database and server too.
        Assert.Equal(["foobardb", "foobardb-web", "mysql"], WaitsFor(web).Order().ToArray());
        Assert.Equal("mysql", database.Parent.Name);
        // nginx is the only resource a visitor reaches, and it serves the app's static files itself.
        Assert.Contains(nginx.Annotations.OfType<ContainerMountAnnotation>(),
            m => m.Target == "/usr/share/nginx/html" && m.IsReadOnly && m.Source!.EndsWith(Path.Combine("FooBar.Web", "wwwroot")));
    }

    [Fact]
    public async Task Nginx_sends_its_spans_as_OTLP_JSON_and_offers_a_reload_command()
    {
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>();

        var nginx = appHost.Resources.OfType<NginxResource>().Single();

        // nginx's Lua exporter writes JSON only; the dashboard must tell it the HTTP endpoint.
        Assert.Equal(OtlpProtocol.HttpJson, nginx.Annotations.OfType<OtlpExporterAnnotation>().Single().RequiredProtocol);
        Assert.Contains(nginx.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxCommandExtensions.ReloadCommandName);
    }

    private static IEnumerable<string> WaitsFor(IResource resource) =>
        resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name);

    private static async Task<(string Image, string? Tag, string? Registry)> MySqlImageAsync(params string[] args)
    {
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>(args);
        var image = appHost.Resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerImageAnnotation>().Single();
        return (image.Image, image.Tag, image.Registry);
    }
}
