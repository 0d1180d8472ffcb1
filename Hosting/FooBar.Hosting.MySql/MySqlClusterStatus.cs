using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.MySql;

/// <summary>
/// What a <see cref="MySqlClusterResource"/> is doing, as the dashboard shows it: each node's Galera state as its own
/// health check last reported it (<c>node-ready</c>'s line), how many are synced and the cluster's size
/// (<c>wsrep_cluster_size</c>), in the cluster resource's properties and its health report; refreshed by its health
/// check and whenever a node starts, stops or reports anew. It reads the nodes' reports rather than asking the nodes
/// again. It also knows each node's container, which <c>docker exec</c> takes.
/// </summary>
internal sealed partial class MySqlClusterStatus(MySqlClusterResource cluster)
{
    private readonly ConcurrentDictionary<string, string> _containers = new();
    private readonly Dictionary<string, string> _lastSeen = [];
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private string? _published;

    /// <summary>How many nodes the cluster was configured with.</summary>
    public int NodeCount => cluster.Nodes.Count;

    /// <summary>The node's container by its DCP name, once the node has one.</summary>
    public string? ContainerOf(MySqlClusterNodeResource node) => _containers.TryGetValue(node.Name, out var container) ? container : null;

    /// <summary>
    /// Shows the cluster, its databases and their logins as running (their health checks run from then on), then follows
    /// the nodes until <paramref name="stopping"/>.
    /// </summary>
    public async Task WatchAsync(ResourceNotificationService notifications, CancellationToken stopping)
    {
        try
        {
            await notifications.PublishUpdateAsync(cluster, snapshot => snapshot with
            {
                ResourceType = "MySqlCluster",
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = With(snapshot.Properties, "cluster.address", cluster.ClusterAddress),
            });
            foreach (var database in ((IMySqlServerResource)cluster).DatabaseResources)
            {
                foreach (var resource in database.Users.Prepend<IResource>(database))
                {
                    await notifications.PublishUpdateAsync(resource, snapshot => snapshot with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
                }
            }

            await foreach (var update in notifications.WatchAsync(stopping))
            {
                if (update.Resource is not MySqlClusterNodeResource node || node.Cluster != cluster)
                {
                    continue;
                }
                _containers[node.Name] = update.ResourceId;
                var report = update.Snapshot.HealthReports.FirstOrDefault(r => r.Name == node.ReadyCheckKey);
                var seen = $"{update.Snapshot.State?.Text}/{report?.Status}/{report?.Description}";
                if (!_lastSeen.TryGetValue(node.Name, out var before) || before != seen)
                {
                    _lastSeen[node.Name] = seen;
                    await RefreshAsync(notifications, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads every running node's last report, shows the result, and returns how many nodes are synced, and a line saying it all.</summary>
    public async Task<(int Synced, string Summary)> RefreshAsync(ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            var synced = 0;
            var size = 0;
            var nodes = new List<string>();
            foreach (var node in cluster.Nodes)
            {
                var state = notifications.TryGetCurrentState(node.Name, out var current) ? current.Snapshot.State?.Text : null;
                if (state != KnownResourceStates.Running
                    || current!.Snapshot.HealthReports.FirstOrDefault(r => r.Name == node.ReadyCheckKey) is not { Status: { } health } report)
                {
                    nodes.Add($"{node.Name} {state ?? "not started"}");
                    continue;
                }
                // node-ready's line: "ready=ON state=Synced cluster_size=3", or why it could not say.
                var line = ReportLine().Match(report.Description ?? "");
                if (health == HealthStatus.Healthy)
                {
                    synced++;
                    size = Math.Max(size, line.Success ? int.Parse(line.Groups["size"].Value, CultureInfo.InvariantCulture) : 0);
                }
                nodes.Add($"{node.Name} {(line.Success ? line.Groups["state"].Value : report.Description?.Trim())}");
            }

            var summary = $"{synced} of {cluster.Nodes.Count} nodes synced, cluster size {size}: {string.Join(", ", nodes)}";
            if (summary != _published)
            {
                _published = summary;
                await notifications.PublishUpdateAsync(cluster, snapshot => snapshot with
                {
                    Properties = With(With(With(snapshot.Properties,
                        "cluster.size", size.ToString(CultureInfo.InvariantCulture)),
                        "cluster.synced", $"{synced} of {cluster.Nodes.Count}"),
                        "cluster.nodes", string.Join(", ", nodes)),
                });
            }
            return (synced, summary);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private static ImmutableArray<ResourcePropertySnapshot> With(ImmutableArray<ResourcePropertySnapshot> properties, string name, string value) =>
        [.. properties.Where(property => property.Name != name), new ResourcePropertySnapshot(name, value)];

    [GeneratedRegex(@"state=(?<state>\S+) cluster_size=(?<size>\d+)")]
    private static partial Regex ReportLine();
}
