using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>High availability's database tier in the AppHost's model, built but not started: the cluster in MySQL's place, without Docker.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class DatabaseClusterModelTests
{
    [Fact]
    public async Task High_availability_runs_MySQL_as_three_nodes_each_on_its_own_loopback_address_with_a_volume_and_a_synced_check()
    {
        await using var appHost = await AppHostModel.CreateAsync(["--FooBar:HighAvailability=true"]);

        Assert.Empty(appHost.Resources.OfType<MySqlServerResource>());
        var cluster = appHost.Resources.OfType<MySqlClusterResource>().Single();
        Assert.Equal("mysql", cluster.Name);
        Assert.Equal(["mysql-1", "mysql-2", "mysql-3"], cluster.Nodes.Select(n => n.Name));
        Assert.Equal("gcomm://mysql-1,mysql-2,mysql-3", cluster.ClusterAddress);
        Assert.Equal(["127.0.0.11", "127.0.0.12", "127.0.0.13"], cluster.Nodes.Select(Tcp).Select(e => e.TargetHost));
        Assert.All(cluster.Nodes, node =>
        {
            Assert.Equal((3306, false), (Tcp(node).TargetPort, Tcp(node).IsProxied));
            Assert.Single(node.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.Volume && m.Target == "/var/lib/mysql");
            Assert.Single(node.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == $"{node.Name}_ready");
            // Its health is its own: no parent in the model whose checks it would inherit, the cluster its parent in the dashboard only.
            Assert.IsNotAssignableFrom<IResourceWithParent>(node);
            Assert.Contains(node.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent" && r.Resource == cluster);
        });
        // The database and the app's login are the cluster's, and the app waits for them as it waits for the single server's.
        var login = appHost.Resources.OfType<MySqlUserResource>().Single();
        Assert.Same(cluster, login.Parent.Parent);
        Assert.Equal(["web-1", "web-2", "web-3"], appHost.Resources.OfType<ProjectResource>().Select(r => r.Name));
    }

    [Fact]
    public async Task Before_start_the_nodes_share_one_port_free_on_every_nodes_address_unless_one_is_given()
    {
        await using var appHost = await AppHostModel.CreateAsync(["--FooBar:HighAvailability=true"]);
        var cluster = appHost.Resources.OfType<MySqlClusterResource>().Single();
        Assert.All(cluster.Nodes, node => Assert.Null(Tcp(node).Port));

        MySqlClusterBuilderExtensions.ShareOnePort(cluster);
        var port = Assert.Single(cluster.Nodes.Select(node => Tcp(node).Port).Distinct());
        Assert.NotNull(port);

        // The tests' free port, set on every node as ConfigureForTests may do, is kept.
        foreach (var node in cluster.Nodes)
        {
            Tcp(node).Port = 45123;
        }
        MySqlClusterBuilderExtensions.ShareOnePort(cluster);
        Assert.All(cluster.Nodes, node => Assert.Equal(45123, Tcp(node).Port));
    }

    [Fact]
    public async Task The_apps_connection_string_names_every_node_at_the_one_port_and_logs_in_as_its_own_user()
    {
        await using var appHost = await AppHostModel.CreateAsync(["--FooBar:HighAvailability=true"]);

        var login = appHost.Resources.OfType<MySqlUserResource>().Single();
        var value = login.ConnectionStringExpression.ValueExpression;

        Assert.StartsWith("Server={mysql-1.bindings.tcp.host},{mysql-2.bindings.tcp.host},{mysql-3.bindings.tcp.host};Port={mysql-1.bindings.tcp.port};", value);
        Assert.Contains("User ID=foobar_web;Database=foobardb;Password={foobardb-web-password.value}", value);
        // The cluster's own (root's) names every node too.
        Assert.StartsWith("Server={mysql-1.bindings.tcp.host},{mysql-2.bindings.tcp.host},{mysql-3.bindings.tcp.host};",
            appHost.Resources.OfType<MySqlClusterResource>().Single().ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public async Task Without_high_availability_MySQL_stays_one_server_with_its_volume_on_a_port_of_its_own()
    {
        await using var appHost = await AppHostModel.CreateAsync();

        Assert.Empty(appHost.Resources.OfType<MySqlClusterResource>());
        Assert.Empty(appHost.Resources.OfType<MySqlClusterNodeResource>());
        var mysql = appHost.Resources.OfType<MySqlServerResource>().Single();
        Assert.Equal("mysql", mysql.Name);
        Assert.Equal("localhost", mysql.Annotations.OfType<EndpointAnnotation>().Single().TargetHost);
        Assert.Same(mysql, appHost.Resources.OfType<MySqlDatabaseResource>().Single().Parent);
        Assert.Equal("Server={mysql.bindings.tcp.host};Port={mysql.bindings.tcp.port};User ID=foobar_web;Database=foobardb;Password={foobardb-web-password.value}",
            appHost.Resources.OfType<MySqlUserResource>().Single().ConnectionStringExpression.ValueExpression);
    }

    private static EndpointAnnotation Tcp(IResource node) => node.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "tcp");
}
