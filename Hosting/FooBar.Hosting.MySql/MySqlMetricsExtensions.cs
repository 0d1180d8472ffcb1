using System.Net;
using FooBar.Hosting.MySql;
using FooBar.Hosting.Processes;

namespace FooBar.Hosting;

/// <summary>
/// A server's or each cluster node's figures on the dashboard, beside the app's: Debian's
/// <c>prometheus-mysqld-exporter</c> on this host for each, logged in as a login of its own with only the rights it
/// needs, its page carried to the dashboard as OpenTelemetry metrics under the server's or node's name.
/// </summary>
public static class MySqlMetricsExtensions
{
    /// <summary>The exporter's MySQL login.</summary>
    public const string ExporterUserName = "metrics_exporter";

    // Debian's package (scripts/setup.sh installs it).
    internal const string ExporterProgram = "/usr/bin/prometheus-mysqld-exporter";

    /// <summary>What the exporter may do: read the server's status and InnoDB's (PROCESS), replication's and Galera's
    /// (REPLICATION CLIENT) and performance_schema; nothing on any database's rows.</summary>
    internal static readonly string[] ExporterGrants = ["PROCESS, REPLICATION CLIENT ON *.*", "SELECT ON performance_schema.*"];

    /// <summary>The figures carried to the dashboard, with a cluster node's Galera figures.</summary>
    internal static readonly IReadOnlyList<BridgedMetric> Metrics =
    [
        BridgedMetric.Gauge("mysql.up", "{server}", "1 while the exporter reaches the server", "mysql_up"),
        BridgedMetric.Gauge("mysql.connections.in_use", "{connection}", "Connections open now (Threads_connected)", "mysql_global_status_threads_connected"),
        BridgedMetric.Gauge("mysql.connections.max", "{connection}", "Connections the server takes at most (max_connections)", "mysql_global_variables_max_connections"),
        BridgedMetric.Counter("mysql.connections.refused", "{connection}", "Connections refused: too many (Connection_errors_max_connections)", "mysql_global_status_connection_errors_total{error=\"max_connections\"}"),
        BridgedMetric.Counter("mysql.connections.aborted", "{connection}", "Connection attempts that failed (Aborted_connects)", "mysql_global_status_aborted_connects"),
        BridgedMetric.Gauge("mysql.threads.running", "{thread}", "Threads running a statement now (Threads_running)", "mysql_global_status_threads_running"),
        BridgedMetric.Counter("mysql.queries", "{query}", "Statements run (Queries)", "mysql_global_status_queries"),
        BridgedMetric.Counter("mysql.queries.slow", "{query}", "Statements slower than long_query_time (Slow_queries)", "mysql_global_status_slow_queries"),
        new("mysql.innodb.buffer_pool.hit_ratio", "1", "Page reads the buffer pool served without the disk, since the start", false, BufferPoolHitRatio),
        BridgedMetric.Counter("mysql.innodb.row_lock.waits", "{wait}", "Row locks waited for (Innodb_row_lock_waits)", "mysql_global_status_innodb_row_lock_waits"),
        BridgedMetric.Gauge("mysql.galera.cluster_size", "{node}", "Nodes in this node's cluster (wsrep_cluster_size)", "mysql_global_status_wsrep_cluster_size"),
        BridgedMetric.Gauge("mysql.galera.local_state", "1", "This node's Galera state: 4 synced, 2 donor, 1 joining (wsrep_local_state)", "mysql_global_status_wsrep_local_state"),
        BridgedMetric.Gauge("mysql.galera.flow_control.paused", "1", "Fraction of time replication was paused by flow control (wsrep_flow_control_paused)", "mysql_global_status_wsrep_flow_control_paused"),
        BridgedMetric.Gauge("mysql.galera.recv_queue", "{writeset}", "Write sets waiting to be applied here (wsrep_local_recv_queue)", "mysql_global_status_wsrep_local_recv_queue"),
        BridgedMetric.Gauge("mysql.galera.send_queue", "{writeset}", "Write sets waiting to be sent (wsrep_local_send_queue)", "mysql_global_status_wsrep_local_send_queue"),
    ];

    /// <summary>
    /// Shows the server's figures on the dashboard under its name: an exporter (<c>{name}-exporter</c>) and its login
    /// <see cref="ExporterUserName"/>, whose password is generated like the others and kept in the user secrets. Run mode only.
    /// </summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithMetricsExporter(this IResourceBuilder<MySqlServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // A published stack has no AppHost to read the exporter's page.
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            AddExporter(builder.ApplicationBuilder, builder.Resource, "127.0.0.1", builder.Resource.Port, AddLogin(builder));
        }
        return builder;
    }

    /// <summary>
    /// Shows each node's figures, Galera's among them, on the dashboard under the node's name: an exporter per node
    /// (<c>{node}-exporter</c>), all logged in as <see cref="ExporterUserName"/>, made once and replicated. Run mode only.
    /// </summary>
    /// <param name="builder">The cluster's resource builder.</param>
    /// <returns>The cluster's resource builder.</returns>
    public static IResourceBuilder<MySqlClusterResource> WithMetricsExporter(this IResourceBuilder<MySqlClusterResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            var login = AddLogin(builder);
            foreach (var node in builder.Resource.Nodes)
            {
                AddExporter(builder.ApplicationBuilder, node, node.HostAddress, node.Port, login);
            }
        }
        return builder;
    }

    private static MySqlExporterLoginAnnotation AddLogin<T>(IResourceBuilder<T> builder) where T : IMySqlServerResource
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder.ApplicationBuilder,
            $"{builder.Resource.Name}-exporter-password", special: false);
        var login = new MySqlExporterLoginAnnotation(ExporterUserName, password);
        builder.WithAnnotation(login);
        return login;
    }

    private static void AddExporter(IDistributedApplicationBuilder builder, IResource server, string host,
        EndpointReferenceExpression port, MySqlExporterLoginAnnotation login)
    {
        var page = FreePorts.OnAll([IPAddress.Loopback]);
        builder.AddExecutable($"{server.Name}-exporter", ExporterProgram, "/",
                $"--web.listen-address=127.0.0.1:{page}",
                // Status and variables are all the figures need; the other default scrapers cost a query each.
                "--no-collect.slave_status", "--no-collect.info_schema.innodb_cmp", "--no-collect.info_schema.innodb_cmpmem",
                "--no-collect.info_schema.query_response_time")
            // The exporter reads its login from the environment, never from its arguments (which ps shows).
            .WithEnvironment("DATA_SOURCE_NAME", ReferenceExpression.Create($"{login.UserName}:{login.Password}@tcp({host}:{port})/"))
            .WithParentRelationship(server)
            .ExcludeFromManifest()
            .WithPrometheusBridge(server, [$"http://127.0.0.1:{page}/metrics"], Metrics);
    }

    // 1 - disk reads / read requests: how often a page was already in memory.
    internal static double? BufferPoolHitRatio(IReadOnlyDictionary<string, double> scrape) =>
        scrape.TryGetValue("mysql_global_status_innodb_buffer_pool_read_requests", out var requests) && requests > 0
            && scrape.TryGetValue("mysql_global_status_innodb_buffer_pool_reads", out var reads)
            ? 1 - reads / requests : null;
}
