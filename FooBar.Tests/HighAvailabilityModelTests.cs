using FooBar.Hosting.Nginx;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>High availability's model, built but not started: the front doors on one address, without Docker.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class HighAvailabilityModelTests
{
    [Fact]
    public async Task High_availability_runs_nginx_1_and_nginx_2_as_executables_sharing_port_8080_each_with_its_own_health_endpoint()
    {
        await using var appHost = await AppHostModel.CreateAsync(["--FooBar:HighAvailability=true"]);

        Assert.Empty(appHost.Resources.OfType<NginxResource>());
        var doors = appHost.Resources.OfType<NginxFrontDoorResource>().ToList();
        Assert.Equal(["nginx-1", "nginx-2"], doors.Select(d => d.Name));
        Assert.All(doors, door =>
        {
            // The recipe's wrapper (its first argument), which runs the recipe's image in the host's network.
            Assert.Equal("bash", door.Command);
            Assert.True(File.Exists(Path.Combine(door.Image!.RecipeFolder, NginxInstancesExtensions.FrontDoorScript)), door.Image.RecipeFolder);
            Assert.StartsWith("foobar/nginx-front-door:", door.Image.Name);
            var http = door.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
            Assert.Equal((8080, false, true), (http.Port, http.IsProxied, http.IsExternal));
            var https = door.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "https");
            Assert.Equal((8443, "https", false, true), (https.Port, https.UriScheme, https.IsProxied, https.IsExternal));
            // Its own health, on a port of its own that only its check asks.
            var health = door.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "health");
            Assert.False(health.IsProxied);
            Assert.Single(door.Annotations.OfType<HealthCheckAnnotation>());
            Assert.Contains(door.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxCommandExtensions.ReloadCommandName);
            Assert.Contains(door.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxCommandExtensions.RollingRestartCommandName);
            Assert.Contains(door.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxInstancesExtensions.RollingRestartDoorsCommandName);
            // Killed or crashed, it is started again, with the project's back-off.
            var restart = door.Annotations.OfType<RestartOnCrashAnnotation>().Single();
            Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), (restart.FirstDelay, restart.MaxDelay));
            Assert.Equal(OtlpProtocol.HttpJson, door.Annotations.OfType<OtlpExporterAnnotation>().Single().RequiredProtocol);
            // The same files as the single nginx: templates, the certificate, static files, the upstream list and every instance's socket.
            Assert.Equal(["/etc/nginx/templates", "/etc/nginx/tls", "/etc/nginx/upstreams/web", "/run/foobar/web-1", "/run/foobar/web-2", "/run/foobar/web-3", "/usr/share/nginx/html"],
                door.Annotations.OfType<ContainerMountAnnotation>().Select(m => m.Target).Order());
        });
        Assert.Equal([8081, 8082], doors.Select(d => d.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "health").Port!.Value));
        // Each door reads its own upstream list of the same servers, which the rolling restart changes for both.
        var upstreams = doors.Select(d => d.Annotations.OfType<NginxUpstream>().Single()).ToList();
        Assert.NotEqual(upstreams[0].ServersFile, upstreams[1].ServersFile);
        Assert.All(upstreams, u => Assert.Equal(["web-1", "web-2", "web-3"], u.Servers.Select(s => s.Name)));
        Assert.Equal(["web-1", "web-2", "web-3"], appHost.Resources.OfType<ProjectResource>().Select(r => r.Name));
    }

    [Fact]
    public async Task Each_front_door_listens_on_the_shared_address_with_reuseport_and_on_its_own_with_nginxs_environment()
    {
        await using var appHost = await AppHostModel.CreateAsync(["--FooBar:HighAvailability=true"]);
        await using var app = await appHost.BuildAsync();

        foreach (var door in appHost.Resources.OfType<NginxFrontDoorResource>())
        {
            var environment = await AppHostModel.EnvironmentAsync(app, door);
            Assert.Equal($"127.0.0.1:{{{door.Name}.bindings.http.port}} reuseport, 127.0.0.1:{{{door.Name}.bindings.health.port}}", environment["NGINX_LISTEN"]);
            // HTTPS on the shared address too, and the redirect to the door's own (shared) HTTPS port, not nginx's container port.
            Assert.Equal($"127.0.0.1:{{{door.Name}.bindings.https.port}} reuseport", environment["NGINX_TLS_LISTEN"]);
            Assert.Equal($"{{{door.Name}.bindings.https.port}}", environment["NGINX_HTTPS_PORT"]);
            Assert.Equal("/etc/nginx/tls/www.foobar.com.pem", environment["NGINX_TLS_CERTIFICATE"]);
            Assert.Equal("all", environment["NGINX_ACCESS_LOG"]);
            Assert.Equal("parentbased_always_on", environment["OTEL_TRACES_SAMPLER"]);
        }
    }

    [Fact]
    public void A_front_doors_image_follows_its_recipe_as_it_is_when_the_door_starts()
    {
        var recipe = Directory.CreateTempSubdirectory("foobar-recipe-");
        try
        {
            File.WriteAllText(Path.Combine(recipe.FullName, "Dockerfile"), "FROM debian:bookworm-slim\n");
            var image = new NginxFrontDoorImage(new DockerfileBuildAnnotation(recipe.FullName, Path.Combine(recipe.FullName, "Dockerfile"), null));
            var first = image.Name;
            Assert.Equal(first, image.Name);
            Assert.StartsWith("foobar/nginx-front-door:", first);

            File.WriteAllText(Path.Combine(recipe.FullName, "nginx.conf"), "events {}\n");
            var changed = image.Name;
            Assert.NotEqual(first, changed);

            File.Delete(Path.Combine(recipe.FullName, "nginx.conf"));
            Assert.Equal(first, image.Name);
        }
        finally
        {
            recipe.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new string[0], 1)]
    [InlineData(new[] { "--FooBar:WebInstances=3" }, 3)]
    public async Task The_single_and_redundant_modes_run_one_door_named_nginx_in_the_host_network_on_8080_and_8443(string[] args, int webInstances)
    {
        await using var appHost = await AppHostModel.CreateAsync(args);

        Assert.Empty(appHost.Resources.OfType<NginxResource>());
        var nginx = appHost.Resources.OfType<NginxFrontDoorResource>().Single();
        Assert.Equal("nginx", nginx.Name);
        Assert.False(nginx.Shared);
        // Its own ports on the host, where nginx itself listens (no container port, no proxy): the health check asks the site's address.
        Assert.Equal([("http", 8080, (int?)8080, true), ("https", 8443, 8443, true)],
            nginx.Annotations.OfType<EndpointAnnotation>().Select(e => (e.UriScheme, e.Port!.Value, e.TargetPort, e.IsExternal)));
        Assert.Equal("http", nginx.Annotations.OfType<HttpHealthCheckAnnotation>().Single().EndpointName);
        Assert.DoesNotContain(nginx.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxInstancesExtensions.RollingRestartDoorsCommandName);
        Assert.Single(nginx.Annotations.OfType<RestartOnCrashAnnotation>());
        Assert.Equal(webInstances, nginx.Annotations.OfType<NginxUpstream>().Single().Servers.Count);
    }

    [Theory]
    [InlineData(new[] { "--FooBar:HighAvailability=true", "--FooBar:WebInstances=1" }, "FooBar:WebInstances")]
    [InlineData(new[] { "--FooBar:HighAvailability=true", "--FooBar:FrontDoors=1" }, "FooBar:FrontDoors")]
    public async Task High_availability_refuses_a_single_app_instance_or_a_single_front_door(string[] args, string key)
    {
        Assert.Contains(key, await AppHostModel.StartupErrorAsync(args));
    }

}
