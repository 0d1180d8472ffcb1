using System.Globalization;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// How a service of the stack is published, placed and replaced by a new version, and the health check every image
/// can run: the deploy policy, in one place, for the services the model makes and those the integrations add.
/// </summary>
internal static class SwarmDeployment
{
    /// <summary>
    /// Publishes a port in host mode: it opens on the node running the task (the ingress routing mesh does not answer
    /// here), the model's port unless the deploying shell sets <paramref name="variable"/> (&lt;SERVICE&gt;_PORT).
    /// </summary>
    internal static void Publish(SwarmService service, string variable, int published, int target, string protocol) =>
        service.Ports.Add(new SwarmPort
        {
            Target = target,
            Published = $"${{{variable.Replace('-', '_').ToUpperInvariant()}:-{published.ToString(CultureInfo.InvariantCulture)}}}",
            Protocol = protocol,
        });

    /// <summary>
    /// A service that owns something of its node (a published port, a volume's data) stays on the manager, the node
    /// whose address visitors use, and is replaced by stopping the old task first: two cannot hold one port or one
    /// data folder. Any other service starts a new task, waits for it to be healthy, then stops an old one; a new
    /// version whose tasks fail is rolled back.
    /// </summary>
    internal static void PlaceAndUpdate(SwarmService service)
    {
        var pinned = service.Ports.Count > 0 || service.Volumes.Count > 0;
        service.Deploy.Placement = pinned
            ? new SwarmPlacement { Constraints = { "node.role == manager" } }
            // Replicas spread evenly over the numbered nodes, so that one node's loss takes the fewest.
            : new SwarmPlacement { Preferences = { new SwarmPlacementPreference { Spread = $"node.labels.{SwarmEnvironmentResource.NodeLabel}" } } };
        UpdateOrder(service, pinned ? "stop-first" : "start-first");
    }

    /// <summary>One task on every node, replaced by stopping the old one first (the two would hold one port of one node).</summary>
    internal static void RunOnEveryNode(SwarmService service)
    {
        service.Deploy.Mode = "global";
        service.Deploy.Replicas = null;
        service.Deploy.Placement = null;
        UpdateOrder(service, "stop-first");
    }

    /// <summary>How a new version replaces the service's tasks, one at a time, and a failed one is rolled back.</summary>
    internal static void UpdateOrder(SwarmService service, string order)
    {
        service.Deploy.UpdateConfig = new SwarmUpdateConfig { Order = order, Monitor = "10s", FailureAction = "rollback" };
        service.Deploy.RollbackConfig = new SwarmUpdateConfig { Order = order, Monitor = "10s" };
    }

    /// <summary>curl, which every image of the stack has, against the port the container listens on.</summary>
    internal static List<string> CurlCheck(int port, string path) =>
        ["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}{path}"];
}
