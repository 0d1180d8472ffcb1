using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.MySql;
using FooBar.Hosting.Programs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// A MySQL-compatible cluster: MariaDB Galera nodes of the image built from images/mysql-compatible, each its own
/// container resource with its own data volume and a health check that is green only when the node is synced.
/// </summary>
public static class MySqlClusterBuilderExtensions
{
    private const string DataDirectory = "/var/lib/mysql";
    // Every Galera-capable image here is the local build; the official mysql image has no Galera.
    private const string ImageConfigurationKey = "ContainerImages:mysql";

    /// <summary>Adds a cluster of <paramref name="nodes"/> Galera nodes, <c>{name}-1</c> … <c>{name}-N</c>.</summary>
    /// <remarks>
    /// The nodes start together and decide among themselves: on empty volumes the first bootstraps a new cluster (and
    /// alone sets root's password) and the others join it by state transfer; a node killed or stopped rejoins by itself;
    /// after all stopped or were killed they form the cluster again with their volumes. A node never waits for another
    /// in the AppHost (no <c>WaitFor</c> between nodes): a new cluster's first node waits until every node answers.
    /// </remarks>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The cluster's name, and its nodes' prefix.</param>
    /// <param name="nodes">How many nodes: three or more, an odd number, so that a majority survives one node's loss.</param>
    /// <param name="password">Root's password; generated and kept in the AppHost's user secrets when null.</param>
    /// <returns>The cluster's resource builder.</returns>
    public static IResourceBuilder<MySqlClusterResource> AddMySqlCluster(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int nodes = 3, IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (nodes < 3 || nodes % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "A Galera cluster keeps a majority through one node's loss with 3, 5, 7 … nodes.");
        }
        var image = builder.Configuration[ImageConfigurationKey] is { Length: > 0 } configured ? configured
            : throw new InvalidOperationException($"{ImageConfigurationKey} names no image: the cluster runs the local MySQL-compatible image (scripts/setup.sh builds it).");

        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var cluster = new MySqlClusterResource(name, passwordParameter);
        var clusterBuilder = builder.AddResource(cluster).ExcludeFromManifest();

        // Each node's container by its DCP name, which docker exec takes; known once the node runs.
        var containers = new ConcurrentDictionary<string, string>();
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => WatchContainersAsync(cluster, containers, notifications, stopping), stopping);
            return Task.CompletedTask;
        });

        for (var i = 1; i <= nodes; i++)
        {
            var node = new MySqlClusterNodeResource($"{name}-{i}", cluster);
            cluster.AddNode(node);
            var healthCheckKey = $"{node.Name}_ready";
            builder.Services.AddHealthChecks().AddTypeActivatedCheck<MySqlClusterNodeReadyCheck>(healthCheckKey,
                new Func<string?>(() => containers.TryGetValue(node.Name, out var container) ? container : null));

            builder.AddResource(node)
                .WithImage(image)
                .WithImageRegistry(null)
                .WithEndpoint(targetPort: 3306, name: MySqlClusterNodeResource.PrimaryEndpointName, isProxied: false)
                .WithVolume(VolumeNameGenerator.Generate(builder.CreateResourceBuilder(node), "data"), DataDirectory)
                .WithHealthCheck(healthCheckKey)
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
                })
                .WithParentRelationship(clusterBuilder);
        }
        return clusterBuilder;
    }

    private static async Task WatchContainersAsync(MySqlClusterResource cluster, ConcurrentDictionary<string, string> containers,
        ResourceNotificationService notifications, CancellationToken stopping)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(stopping))
            {
                if (update.Resource is MySqlClusterNodeResource node && node.Parent == cluster)
                {
                    containers[node.Name] = update.ResourceId;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
