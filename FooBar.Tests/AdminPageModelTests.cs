using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The database admin page in the model, built but not started: where it runs, what it reaches, without Docker.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class AdminPageModelTests
{
    [Fact]
    public async Task In_development_Adminer_runs_beside_mysql_on_a_port_docker_picks_sharing_its_socket_folder()
    {
        await using var appHost = await AppHostModel.CreateAsync();

        var admin = appHost.Resources.OfType<AdminerResource>().Single();
        Assert.Equal("mysql-admin", admin.Name);
        var http = Assert.Single(admin.Annotations.OfType<EndpointAnnotation>());
        // No proxy, no fixed host port (not nginx's 8080 again), not published beyond this machine.
        Assert.Equal((false, null, 8080, false), (http.IsProxied, http.Port, http.TargetPort, http.IsExternal));
        // MySQL's socket folder, shared: root logs in from localhost, with no grant for a network.
        var mysql = appHost.Resources.OfType<MySqlServerResource>().Single();
        var socket = Assert.Single(mysql.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/run/mysqld");
        Assert.Equal(socket.Source, Assert.Single(admin.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/run/mysql-servers/mysql").Source);
    }

    [Fact]
    public async Task With_high_availability_Adminer_reaches_every_node_of_the_cluster()
    {
        await using var appHost = await AppHostModel.CreateAsync("--FooBar:HighAvailability=true");

        var admin = appHost.Resources.OfType<AdminerResource>().Single();
        Assert.Equal("mysql-admin", admin.Name);
        foreach (var node in appHost.Resources.OfType<MySqlClusterNodeResource>())
        {
            var socket = Assert.Single(node.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/run/mysqld");
            Assert.Equal(socket.Source, Assert.Single(admin.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == $"/run/mysql-servers/{node.Name}").Source);
        }
        Assert.Equal(3, admin.Annotations.OfType<ContainerMountAnnotation>().Count());
    }

    [Theory]
    [InlineData("--FooBar:Profile=Production")]
    [InlineData("--FooBar:Profile=Production", "--FooBar:HighAvailability=true")]
    public async Task The_production_profile_has_no_admin_page_and_MySQL_keeps_its_socket_to_itself(params string[] args)
    {
        await using var appHost = await AppHostModel.CreateAsync(args);

        Assert.Contains(appHost.Resources, r => r.Name == "mysql");
        Assert.DoesNotContain(appHost.Resources, r => r is AdminerResource || r.Name.EndsWith("-admin", StringComparison.Ordinal));
        Assert.DoesNotContain(appHost.Resources.OfType<ContainerResource>().SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>()),
            m => m.Target == "/run/mysqld");
    }
}
