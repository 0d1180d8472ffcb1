using FooBar.Hosting.MySql;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The AppHost's model, built but not started: what the topology says, without containers.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class AppHostModelTests
{
    [Fact]
    public async Task MySQL_runs_the_configured_local_image_by_default()
    {
        var (image, configured) = await MySqlImageAsync();

        // The local stand-in that scripts/setup.sh builds, named once in the AppHost's appsettings.json.
        Assert.Equal(configured, $"{image.Image}:{image.Tag}");
        Assert.Null(image.Registry);
    }

    [Fact]
    public async Task MySQL_falls_back_to_the_official_image_when_the_configured_one_is_cleared()
    {
        var (image, _) = await MySqlImageAsync("--ContainerImages:mysql=");

        Assert.Equal((MySqlContainerImageTags.Image, MySqlContainerImageTags.Tag, MySqlContainerImageTags.Registry), image);
    }

    [Fact]
    public async Task Topology_is_nginx_in_front_of_web_in_front_of_the_database()
    {
        await using var appHost = await AppHostModel.CreateAsync();

        var nginx = appHost.Resources.OfType<NginxFrontDoorResource>().Single();
        var web = appHost.Resources.OfType<ProjectResource>().Single();
        var database = appHost.Resources.OfType<MySqlDatabaseResource>().Single();

        // nginx starts beside web, not after it: its own 502 page covers the app's start-up.
        Assert.Empty(WaitsFor(nginx));
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
        await using var appHost = await AppHostModel.CreateAsync();

        var nginx = appHost.Resources.OfType<NginxFrontDoorResource>().Single();

        // nginx's Lua exporter writes JSON only; the dashboard must tell it the HTTP endpoint.
        Assert.Equal(OtlpProtocol.HttpJson, nginx.Annotations.OfType<OtlpExporterAnnotation>().Single().RequiredProtocol);
        Assert.Contains(nginx.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxCommandExtensions.ReloadCommandName);
    }

    [Fact]
    public async Task Nginx_serves_https_on_8443_with_the_sites_certificate_mounted_read_only_and_redirects_http_to_it()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        var nginx = appHost.Resources.OfType<NginxFrontDoorResource>().Single();
        await using var app = await appHost.BuildAsync();

        var environment = await AppHostModel.EnvironmentAsync(app, nginx);

        var https = nginx.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "https");
        Assert.Equal((8443, "https", false, true), (https.Port, https.UriScheme, https.IsProxied, https.IsExternal));
        // The folder, not the file: a certificate renewed by a rename in it reaches the container.
        Assert.Contains(nginx.Annotations.OfType<ContainerMountAnnotation>(),
            m => m is { Source: "/etc/foobar/tls", Target: "/etc/nginx/tls", IsReadOnly: true, Type: ContainerMountType.BindMount });
        // In the host's network, on loopback only, and alone on its address: no reuseport.
        Assert.Equal("127.0.0.1:{nginx.bindings.http.port}", environment["NGINX_LISTEN"]);
        Assert.Equal("127.0.0.1:{nginx.bindings.https.port}", environment["NGINX_TLS_LISTEN"]);
        Assert.Equal("/etc/nginx/tls/www.foobar.com.pem", environment["NGINX_TLS_CERTIFICATE"]);
        Assert.Equal("{nginx.bindings.https.port}", environment["NGINX_HTTPS_PORT"]);
    }

    [Fact]
    public async Task Nginx_reaches_web_over_a_Unix_socket_that_web_listens_on_with_no_proxy_in_between()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        var nginx = appHost.Resources.OfType<NginxFrontDoorResource>().Single();
        var web = appHost.Resources.OfType<ProjectResource>().Single();
        await using var app = await appHost.BuildAsync();

        var webEnvironment = await AppHostModel.EnvironmentAsync(app, web);

        var upstream = nginx.Annotations.OfType<NginxUpstream>().Single();
        Assert.Equal(["web"], upstream.Servers.Select(s => s.Name));
        await upstream.WriteAsync(down: null, CancellationToken.None);
        Assert.Contains("server unix:/run/foobar/web/http.sock max_fails=5 fail_timeout=10s;\n", await File.ReadAllTextAsync(upstream.ServersFile));
        Assert.Contains(nginx.Annotations.OfType<ContainerMountAnnotation>(),
            m => m.Target == "/etc/nginx/upstreams/web" && m.Source == Path.GetDirectoryName(upstream.ServersFile) && m.IsReadOnly);
        var socketFolder = Assert.Single(nginx.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/run/foobar/web").Source!;
        Assert.EndsWith($";http://unix:{Path.Combine(socketFolder, "http.sock")}", webEnvironment["ASPNETCORE_URLS"]);
        Assert.True(Directory.Exists(socketFolder), $"{socketFolder} was not created");
        // One instance keeps MySqlConnector's default pool.
        Assert.Equal("100", webEnvironment["Database__MaxPoolSize"]);
        // Visitors reach nginx, nginx's upstream is the program itself, and queries go straight to MySQL.
        Assert.All(appHost.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()), e => Assert.False(e.IsProxied, $"{e.Name} is proxied"));
        Assert.EndsWith($"{Path.DirectorySeparatorChar}FooBar.Web", web.Annotations.OfType<ExecutableAnnotation>().Single().Command);
    }

    [Fact]
    public async Task One_web_instance_is_the_default_and_has_no_rolling_restart_to_offer()
    {
        await using var appHost = await AppHostModel.CreateAsync();

        Assert.Equal(["web"], appHost.Resources.OfType<ProjectResource>().Select(r => r.Name));
        Assert.DoesNotContain(appHost.Resources.OfType<NginxFrontDoorResource>().Single().Annotations.OfType<ResourceCommandAnnotation>(),
            c => c.Name == NginxCommandExtensions.RollingRestartCommandName);
    }

    [Fact]
    public async Task Redundant_mode_runs_web_1_to_web_N_on_their_own_ports_and_sockets_all_in_nginxs_upstream()
    {
        await using var appHost = await AppHostModel.CreateAsync(["--FooBar:WebInstances=3"]);
        var nginx = appHost.Resources.OfType<NginxFrontDoorResource>().Single();
        var instances = appHost.Resources.OfType<ProjectResource>().ToList();
        await using var app = await appHost.BuildAsync();

        Assert.Equal(["web-1", "web-2", "web-3"], instances.Select(r => r.Name));
        // Each its own port, one up from the last, and each waits for the database as the single one does.
        var ports = instances.Select(r => r.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http").Port!.Value).ToList();
        Assert.Equal([ports[0], ports[0] + 1, ports[0] + 2], ports);
        Assert.All(instances, r => Assert.Equal(["foobardb", "foobardb-web", "mysql"], WaitsFor(r).Order().ToArray()));
        Assert.All(instances, r => Assert.Single(r.Annotations.OfType<HealthCheckAnnotation>()));

        // nginx lists every instance by its own socket; the rolling restart takes one out with `down`.
        var upstream = nginx.Annotations.OfType<NginxUpstream>().Single();
        Assert.Equal(["web-1", "web-2", "web-3"], upstream.Servers.Select(s => s.Name));
        await upstream.WriteAsync(down: instances[1], CancellationToken.None);
        Assert.Equal(
            [
                "server unix:/run/foobar/web-1/http.sock max_fails=5 fail_timeout=10s;",
                "server unix:/run/foobar/web-2/http.sock max_fails=5 fail_timeout=10s down;",
                "server unix:/run/foobar/web-3/http.sock max_fails=5 fail_timeout=10s;",
            ],
            (await File.ReadAllLinesAsync(upstream.ServersFile)).Where(line => line.StartsWith("server ")));
        foreach (var instance in instances)
        {
            var environment = await AppHostModel.EnvironmentAsync(app, instance);
            // Three pools of 46 fit under MySQL's 151 connections.
            Assert.Equal("46", environment["Database__MaxPoolSize"]);
            var socketFolder = Assert.Single(nginx.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == $"/run/foobar/{instance.Name}").Source!;
            Assert.EndsWith($";http://unix:{Path.Combine(socketFolder, "http.sock")}", environment["ASPNETCORE_URLS"]);
        }
        Assert.Contains(nginx.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxCommandExtensions.RollingRestartCommandName);
    }

    [Fact]
    public async Task A_new_MySQL_data_directory_gets_root_for_the_containers_socket_only()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        await using var app = await appHost.BuildAsync();

        var mysql = await AppHostModel.EnvironmentAsync(app, appHost.Resources.OfType<MySqlServerResource>().Single());

        // The official image's contract: no root@'%'. Root's one network login, for this host, is made on each start.
        Assert.Equal("localhost", mysql["MYSQL_ROOT_HOST"]);
    }

    [Fact]
    public async Task Web_is_restarted_after_a_crash_waiting_1_2_4_8_16_then_30_seconds_and_counting_again_after_a_healthy_minute()
    {
        await using var appHost = await AppHostModel.CreateAsync();

        var web = appHost.Resources.OfType<ProjectResource>().Single();
        var restart = Assert.Single(web.Annotations.OfType<RestartOnCrashAnnotation>());

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(1, 7).Select(attempt => restart.DelayBefore(attempt).TotalSeconds));
        Assert.Equal(TimeSpan.FromMinutes(1), restart.ResetAfter);
        // "Healthy for a minute" needs a health check to tell.
        Assert.NotEmpty(web.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public async Task Web_s_Stop_Restart_and_Rebuild_commands_tell_the_supervisor_that_a_person_stopped_it()
    {
        await using var appHost = await AppHostModel.CreateAsync();
        var web = appHost.Resources.OfType<ProjectResource>().Single();
        await using var app = await appHost.BuildAsync();
        // Aspire adds these when it prepares the resource to run; here, stand-ins in their place.
        var names = new[] { KnownResourceCommands.StopCommand, KnownResourceCommands.RestartCommand, KnownResourceCommands.RebuildCommand, KnownResourceCommands.StartCommand };
        var commands = names.Select(name => new ResourceCommandAnnotation(name, name, _ => ResourceCommandState.Enabled,
            _ => Task.FromResult(CommandResults.Success()), null, null, null, null, null, false)).ToList();
        foreach (var command in commands)
        {
            web.Annotations.Add(command);
        }

        await app.Services.GetRequiredService<Aspire.Hosting.Eventing.IDistributedApplicationEventing>().PublishAsync(new BeforeResourceStartedEvent(web, app.Services));

        // Each command that stops the process now goes through the supervisor first, in its place; Start is left as it was.
        Assert.All(commands.SkipLast(1), command => Assert.DoesNotContain(command, web.Annotations));
        Assert.Contains(commands[^1], web.Annotations);
    }

    [Theory]
    [InlineData(new string[0], "Development", "parentbased_always_on", "1", "all")]
    [InlineData(new[] { "--FooBar:Profile=Production" }, "Production", "parentbased_traceidratio", "0.01", "sampled")]
    [InlineData(new[] { "--FooBar:Profile=Production", "--FooBar:TraceSampleRatio=0.25" }, "Production", "parentbased_traceidratio", "0.25", "sampled")]
    public async Task Profile_sets_the_apps_environment_and_one_trace_sampler_for_nginx_and_web(
        string[] args, string environment, string sampler, string ratio, string accessLog)
    {
        await using var appHost = await AppHostModel.CreateAsync(args);
        await using var app = await appHost.BuildAsync();
        var nginx = await AppHostModel.EnvironmentAsync(app, appHost.Resources.OfType<NginxFrontDoorResource>().Single());
        var web = await AppHostModel.EnvironmentAsync(app, appHost.Resources.OfType<ProjectResource>().Single());

        Assert.Equal(environment, web["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal(accessLog, nginx["NGINX_ACCESS_LOG"]);
        foreach (var resource in new[] { nginx, web })
        {
            Assert.Equal(sampler, resource["OTEL_TRACES_SAMPLER"]);
            Assert.Equal(ratio, resource["OTEL_TRACES_SAMPLER_ARG"]);
        }
    }

    [Theory]
    [InlineData(new[] { "--FooBar:Profile=Staging" }, "FooBar:Profile")]
    [InlineData(new[] { "--FooBar:Profile=Production", "--FooBar:TraceSampleRatio=1.5" }, "FooBar:TraceSampleRatio")]
    [InlineData(new[] { "--FooBar:WebInstances=0" }, "FooBar:WebInstances")]
    [InlineData(new[] { "--FooBar:WebInstances=17" }, "FooBar:WebInstances")]
    public async Task An_unknown_profile_a_ratio_outside_0_to_1_or_a_web_instance_count_outside_1_to_16_stops_the_AppHost(string[] args, string key)
    {
        Assert.Contains(key, await AppHostModel.StartupErrorAsync(args));
    }


    private static IEnumerable<string> WaitsFor(IResource resource) =>
        resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name);

    // The MySQL server's image, and the image the AppHost's configuration names for it.
    private static async Task<((string Image, string? Tag, string? Registry) Image, string? Configured)> MySqlImageAsync(params string[] args)
    {
        await using var appHost = await AppHostModel.CreateAsync(args);
        var image = appHost.Resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerImageAnnotation>().Single();
        return ((image.Image, image.Tag, image.Registry), appHost.Configuration["ContainerImages:mysql"]);
    }
}
