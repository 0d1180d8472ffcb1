using FooBar.Hosting.MySql;

namespace FooBar.Hosting.MySql.Tests;

/// <summary>
/// The metrics exporters on a model built but never run: one per server or cluster node, beside it, logged in as a
/// login of its own with the exporter's rights only, its page carried to OTLP under the server's or node's name. No Docker.
/// </summary>
[Trait("Speed", "Fast")]
public sealed class MySqlMetricsModelTests
{
    [Fact]
    public async Task A_servers_exporter_runs_beside_it_on_loopback_logged_in_as_its_own_login_with_a_generated_password()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://localhost:18889";
        var mysql = builder.AddMySql("mysql", port: 13306).WithMetricsExporter()
            // As a run allocates it: an endpoint's port is read only once allocated.
            .WithEndpoint("tcp", e => e.AllocatedEndpoint = new AllocatedEndpoint(e, "localhost", 13306));

        var exporter = Assert.Single(builder.Resources.OfType<ExecutableResource>());
        Assert.Equal(("mysql-exporter", MySqlMetricsExtensions.ExporterProgram), (exporter.Name, exporter.Command));
        Assert.Same(mysql.Resource, Assert.Single(exporter.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent").Resource);
        var login = Assert.Single(mysql.Resource.Annotations.OfType<MySqlExporterLoginAnnotation>());
        Assert.Equal("metrics_exporter", login.UserName);
        // Generated like every other password here, kept in the user secrets, never written in the model.
        Assert.Equal("mysql-exporter-password", login.Password.Name);
        Assert.True(login.Password.Secret);

        using var app = builder.Build();
        var (arguments, environment) = await ConfigurationAsync(app, exporter);
        Assert.Contains(arguments, a => a.StartsWith("--web.listen-address=127.0.0.1:", StringComparison.Ordinal));
        var password = await login.Password.GetValueAsync(default);
        Assert.Equal($"metrics_exporter:{password}@tcp(127.0.0.1:13306)/", environment["DATA_SOURCE_NAME"]);
        // The password is in the environment only, never in the arguments that ps shows.
        Assert.DoesNotContain(arguments, a => a.Contains(password!, StringComparison.Ordinal));
        // The bridge reads the dashboard's OTLP settings from what Aspire gives the exporter.
        Assert.True(exporter.Annotations.OfType<OtlpExporterAnnotation>().Any());
    }

    [Fact]
    public void The_exporters_login_may_read_status_replication_and_performance_schema_and_nothing_else()
    {
        var login = new MySqlExporterLoginAnnotation("metrics_exporter", new ParameterResource("p", _ => "x", secret: true));

        Assert.Equal(
            ["GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'metrics_exporter'@'h'", "GRANT SELECT ON performance_schema.* TO 'metrics_exporter'@'h'"],
            login.GrantStatements("'metrics_exporter'@'h'"));
    }

    [Fact]
    public async Task Each_cluster_node_has_its_own_exporter_that_logs_in_to_that_node_only()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ContainerImages:mysql"] = "foobar/mysql-compatible:test";
        builder.Configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://localhost:18889";
        var cluster = builder.AddMySqlCluster("mysql", port: 13306).WithMetricsExporter();

        foreach (var node in cluster.Resource.Nodes)
        {
            builder.CreateResourceBuilder(node).WithEndpoint("tcp", e => e.AllocatedEndpoint = new AllocatedEndpoint(e, node.HostAddress, 13306));
        }
        var exporters = builder.Resources.OfType<ExecutableResource>().ToList();
        Assert.Equal(["mysql-1-exporter", "mysql-2-exporter", "mysql-3-exporter"], exporters.Select(e => e.Name));
        using var app = builder.Build();
        foreach (var (exporter, node) in exporters.Zip(cluster.Resource.Nodes))
        {
            Assert.Same(node, Assert.Single(exporter.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent").Resource);
            var (_, environment) = await ConfigurationAsync(app, exporter);
            Assert.EndsWith($"@tcp({node.HostAddress}:13306)/", environment["DATA_SOURCE_NAME"]);
        }
        // One login for the cluster, made once and replicated to every node.
        Assert.Single(cluster.Resource.Annotations.OfType<MySqlExporterLoginAnnotation>());
    }

    [Fact]
    public void A_published_model_has_no_exporter()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);

        builder.AddMySql("mysql").WithMetricsExporter();

        Assert.Empty(builder.Resources.OfType<ExecutableResource>());
        Assert.DoesNotContain(builder.Resources, r => r.Name == "mysql-exporter-password");
    }

    [Theory]
    [InlineData(1000, 100, 0.9)]
    [InlineData(1000, 0, 1.0)]
    public void The_buffer_pool_hit_ratio_is_the_share_of_page_reads_served_from_memory(double requests, double reads, double expected)
    {
        Assert.Equal(expected, MySqlMetricsExtensions.BufferPoolHitRatio(new Dictionary<string, double>
        {
            ["mysql_global_status_innodb_buffer_pool_read_requests"] = requests,
            ["mysql_global_status_innodb_buffer_pool_reads"] = reads,
        }));
        // Before the first read there is no ratio rather than a made-up one.
        Assert.Null(MySqlMetricsExtensions.BufferPoolHitRatio(new Dictionary<string, double> { ["mysql_global_status_innodb_buffer_pool_read_requests"] = 0 }));
    }

    // A resource's arguments and environment as a run would give them, parameters resolved.
    private static async Task<(List<string> Arguments, Dictionary<string, string> Environment)> ConfigurationAsync(DistributedApplication app, IResource resource)
    {
        var running = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Run) { Services = app.Services });
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig().WithEnvironmentVariablesConfig().BuildAsync(running);
        return (configuration.Arguments.Select(a => a.Value).ToList(), configuration.EnvironmentVariables.ToDictionary());
    }
}
