using System.Net;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using FooBar.Hosting.Processes;
using FooBar.Hosting.MySql;
using FooBar.Hosting.Swarm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>
/// A MySQL-compatible cluster: MariaDB Galera nodes of the image built from images/mysql-compatible, each its own
/// container resource with its own data volume and a health check that is green only when the node is synced.
/// </summary>
public static class MySqlClusterBuilderExtensions
{
    private const string DataDirectory = "/var/lib/mysql";
    // Every Galera-capable image here is the local build; the official mysql image has no Galera.
    private const string ImageConfigurationKey = "ContainerImages:mysql";
    // Where each node serves its Galera state to its peers (galera-node.sh's GALERA_STATE_PORT default).
    private const int GaleraStatePort = 4570;
    // Node i is published on 127.0.0.(10 + i): loopback addresses that nothing else here uses.
    private const int FirstHostAddress = 11;

    /// <summary>Adds a cluster of <paramref name="nodes"/> Galera nodes, <c>{name}-1</c> … <c>{name}-N</c>.</summary>
    /// <remarks>
    /// <para>
    /// The nodes start together and decide among themselves: on empty volumes the first bootstraps a new cluster (and
    /// alone sets root's password) and the others join it by state transfer; a node killed or stopped rejoins by itself;
    /// after all stopped or were killed they form the cluster again with their volumes. A node never waits for another
    /// in the AppHost (no <c>WaitFor</c> between nodes): a new cluster's first node waits until every node answers.
    /// </para>
    /// <para>
    /// Node i is published on the loopback address 127.0.0.(10 + i), every node on the same port, because a client names
    /// its hosts with one port (<c>Server=a,b,c;Port=p</c>). The cluster's databases and logins are made once, on the
    /// first node to be synced, and reach the others by replication.
    /// </para>
    /// </remarks>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The cluster's name, and its nodes' prefix.</param>
    /// <param name="nodes">How many nodes: three or more, an odd number, so that a majority survives one node's loss.</param>
    /// <param name="password">Root's password; generated and kept in the AppHost's user secrets when null.</param>
    /// <param name="port">The port every node is published on; one free on every node's address when null.</param>
    /// <returns>The cluster's resource builder.</returns>
    /// <example>
    /// Three nodes, one database on them all, and an app that moves to another node when one fails:
    /// <code lang="csharp">
    /// var database = builder.AddMySqlCluster("mysql").AddDatabase("appdb");
    /// builder.AddProject&lt;Projects.App&gt;("app").WithReference(database).WaitFor(database);
    /// </code>
    /// </example>
    public static IResourceBuilder<MySqlClusterResource> AddMySqlCluster(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int nodes = 3, IResourceBuilder<ParameterResource>? password = null, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (nodes < 3 || nodes % 2 == 0 || nodes > 255 - FirstHostAddress)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "A Galera cluster keeps a majority through one node's loss with 3, 5, 7 … nodes.");
        }
        var image = builder.Configuration[ImageConfigurationKey] is { Length: > 0 } configured ? configured
            : throw new InvalidOperationException($"{ImageConfigurationKey} names no image: the cluster runs the local MySQL-compatible image (scripts/setup.sh builds it).");

        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var cluster = new MySqlClusterResource(name, passwordParameter);
        var status = new MySqlClusterStatus(cluster);
        var healthCheckKey = $"{name}_synced";
        builder.Services.AddHealthChecks().AddTypeActivatedCheck<MySqlClusterHealthCheck>(healthCheckKey, status);
        var clusterBuilder = builder.AddResource(cluster).WithHealthCheck(healthCheckKey).ExcludeFromManifest();

        builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            ShareOnePort(cluster);
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => status.WatchAsync(notifications, stopping), stopping);
            return Task.CompletedTask;
        });

        var databases = new ClusterDatabases(cluster, status);
        for (var i = 1; i <= nodes; i++)
        {
            var number = i;
            var node = new MySqlClusterNodeResource($"{name}-{i}", cluster, $"127.0.0.{FirstHostAddress - 1 + i}");
            cluster.AddNode(node);
            builder.Services.AddHealthChecks().AddTypeActivatedCheck<MySqlClusterNodeReadyCheck>(node.ReadyCheckKey,
                new Func<string?>(() => status.ContainerOf(node)));

            builder.AddResource(node)
                .WithImage(image)
                .WithImageRegistry(null)
                // Published straight to its own loopback address: no proxy of Aspire's between the app and its queries.
                .WithEndpoint(targetPort: 3306, name: MySqlClusterNodeResource.PrimaryEndpointName, isProxied: false)
                .WithEndpoint(MySqlClusterNodeResource.PrimaryEndpointName, endpoint =>
                {
                    endpoint.TargetHost = node.HostAddress;
                    // Set even when null: unset, a port of an endpoint without a proxy reads as its target port, 3306.
                    endpoint.Port = port;
                })
                .WithVolume(VolumeNameGenerator.Generate(builder.CreateResourceBuilder(node), "data"), DataDirectory)
                .WithHealthCheck(node.ReadyCheckKey)
                // A published stack's orchestrator runs the same check in the container.
                .WithAnnotation(new ContainerHealthCheckAnnotation(["CMD", "node-ready"]))
                .WithEnvironment(context =>
                {
                    // Read by the node that bootstraps a new cluster only; the others receive the accounts by state transfer.
                    context.EnvironmentVariables["MYSQL_ROOT_PASSWORD"] = cluster.PasswordParameter;
                    context.EnvironmentVariables["MYSQL_ROOT_HOST"] = "localhost";
                    context.EnvironmentVariables["GALERA_CLUSTER_ADDRESS"] = cluster.ClusterAddress;
                    context.EnvironmentVariables["GALERA_NODE_ADDRESS"] = node.Name;
                    context.EnvironmentVariables["GALERA_CLUSTER_NAME"] = cluster.Name;
                    MySqlBuilderExtensions.AddImageMadeDatabase(context, cluster);
                })
                // In a swarm: node i on the swarm's node i, where its volume stays; a first deploy's bootstrap and a
                // rejoin after its node came back are the image's own rules (galera-node.sh), as they are here.
                .PublishAsSwarmService(context =>
                {
                    context.PlaceOnNode(number);
                    // Swarm's DNS names a task only once it is healthy, and a node's peers must find it by name before it
                    // can be synced (they decide together how to start): there a node is healthy while it serves its
                    // state to them (galera-node.sh's port), synced or not. The app moves off a node that is not synced.
                    context.Service.Healthcheck = new SwarmHealthcheck
                    {
                        Test = ["CMD", "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{GaleraStatePort} && grep -q server= <&3"],
                    };
                })
                .WithParentRelationship(clusterBuilder)
                .OnResourceReady((node, @event, ct) => databases.MakeOnceAsync(node, @event.Services, ct));
        }
        return clusterBuilder;
    }

    /// <summary>
    /// Names the nodes' data volumes <c>{prefix}-{node}</c> instead of the names made from the AppHost's and the nodes' names
    /// (every node has a data volume: a node rejoins by IST, and a stopped cluster starts again, from what it holds).
    /// </summary>
    /// <param name="builder">The cluster's resource builder.</param>
    /// <param name="prefix">The start of the volumes' names; the default names when null.</param>
    /// <returns>The cluster's resource builder.</returns>
    public static IResourceBuilder<MySqlClusterResource> WithDataVolumes(this IResourceBuilder<MySqlClusterResource> builder, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var node in builder.Resource.Nodes)
        {
            foreach (var volume in node.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Target == DataDirectory).ToList())
            {
                node.Annotations.Remove(volume);
            }
            var nodeBuilder = builder.ApplicationBuilder.CreateResourceBuilder(node);
            nodeBuilder.WithVolume(prefix is null ? VolumeNameGenerator.Generate(nodeBuilder, "data") : $"{prefix}-{node.Name}", DataDirectory);
        }
        return builder;
    }

    // Every node on one port, each on its own address: the one their endpoints were given, or one free on all of their addresses now.
    internal static void ShareOnePort(MySqlClusterResource cluster)
    {
        var endpoints = cluster.Nodes
            .Select(node => node.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == MySqlClusterNodeResource.PrimaryEndpointName))
            .ToList();
        var given = endpoints.Select(e => e.Port).Distinct().ToList();
        var shared = given is [{ } same] ? same : FreePorts.OnAll(cluster.Nodes.Select(node => IPAddress.Parse(node.HostAddress)).ToList());
        foreach (var endpoint in endpoints)
        {
            endpoint.Port = shared;
        }
    }

    // The cluster's databases and logins, made once per run of the AppHost on the first node that is synced: Galera
    // replicates them, root's login for this host included, to every other node.
    private sealed class ClusterDatabases(MySqlClusterResource cluster, MySqlClusterStatus status)
    {
        private readonly SemaphoreSlim _making = new(1, 1);
        private bool _made;

        public async Task MakeOnceAsync(MySqlClusterNodeResource node, IServiceProvider services, CancellationToken ct)
        {
            await _making.WaitAsync(ct);
            try
            {
                if (_made || status.ContainerOf(node) is not { } container)
                {
                    return;
                }
                var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(cluster);
                var notifications = services.GetRequiredService<ResourceNotificationService>();
                if (!await MySqlRootLogin.GrantAsync(node, cluster.PasswordParameter, container, notifications, logger, ct))
                {
                    return;
                }
                var root = MySqlClusterResource.BuildConnectionString([node], MySqlServerResource.RootUserName, cluster.PasswordParameter);
                await MySqlBuilderExtensions.CreateDatabasesAsync(cluster, await root.GetValueAsync(ct), logger, ct);
                logger.LogInformation("Made on {Node}, which replicates them to every node", node.Name);
                _made = true;

                // The cluster is no container of DCP's, which would announce its connection strings and its children's:
                // their health checks query with them from now on.
                var eventing = services.GetRequiredService<IDistributedApplicationEventing>();
                var databases = ((IMySqlServerResource)cluster).DatabaseResources;
                foreach (var resource in databases.SelectMany(d => d.Users.Prepend<IResource>(d)).Prepend(cluster))
                {
                    await eventing.PublishAsync(new ConnectionStringAvailableEvent(resource, services), ct);
                }
            }
            finally
            {
                _making.Release();
            }
        }
    }
}
