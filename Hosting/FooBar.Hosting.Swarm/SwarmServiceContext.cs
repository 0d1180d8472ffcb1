using System.Security.Cryptography;
using System.Text;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// What a resource's own contribution to a Swarm stack (<c>PublishAsSwarmService</c>) receives: its generated service,
/// and the stack's names for other resources' services and ports, and its configs.
/// </summary>
public sealed class SwarmServiceContext
{
    private readonly SwarmStackWriter _writer;

    internal SwarmServiceContext(SwarmStackWriter writer, IResource resource, SwarmService service) =>
        (_writer, Resource, Service) = (writer, resource, service);

    /// <summary>The resource the service runs.</summary>
    public IResource Resource { get; }

    /// <summary>The service generated from the model, to change.</summary>
    public SwarmService Service { get; }

    /// <summary>The service another resource runs in (<c>web</c> for <c>web-2</c>): its DNS name in the stack.</summary>
    public string ServiceName(IResource resource) => SwarmStackWriter.ServiceName(resource);

    /// <summary>The port a resource's endpoint listens on inside its container.</summary>
    public int ContainerPort(IResource resource, string endpointName) =>
        SwarmStackWriter.ContainerPort(resource, resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpointName));

    /// <summary>The service another resource runs in, to change: its part that this resource owns (such as whom it trusts).</summary>
    public SwarmService ServiceOf(IResource resource) => _writer.Service(resource);

    /// <summary>The subnet of the stack's network, the one every service is on, as the tasks see it (CIDR).</summary>
    public string NetworkSubnet => _writer.Environment.NetworkSubnet;

    /// <summary>
    /// Mounts the stack's secret <paramref name="name"/> in the service and returns its file in the containers: external,
    /// named after the stack, made by the deploy from <paramref name="sourceFile"/> on its machine (or a random value).
    /// </summary>
    public string AddSecret(string name, string? sourceFile = null) => _writer.Values.Secret(Service, name, sourceFile);

    /// <summary>The addresses visitors reach the stack at (<see cref="SwarmEnvironmentResource.SiteAddresses"/>).</summary>
    public IReadOnlyList<string> SiteAddresses => _writer.Environment.SiteAddresses;

    /// <summary>
    /// Publishes <paramref name="target"/> on the node running each task (host mode), at <paramref name="published"/>
    /// unless the deploying shell sets <paramref name="variable"/>.
    /// </summary>
    public void PublishPort(string variable, int published, int target, string protocol) =>
        SwarmDeployment.Publish(Service, variable, published, target, protocol);

    /// <summary>
    /// One task on every node (<c>mode: global</c>), such as a front door each node opens to visitors; replaced by
    /// stopping the old task first, since the two would hold one port of one node.
    /// </summary>
    public void RunOnEveryNode() => SwarmDeployment.RunOnEveryNode(Service);

    /// <summary>
    /// Runs the service on the node numbered <paramref name="number"/> only (its label
    /// <see cref="SwarmEnvironmentResource.NodeLabel"/>), where its volume's data stays; replaced by stopping the old task first.
    /// </summary>
    public void PlaceOnNode(int number)
    {
        Service.Deploy.Placement = new SwarmPlacement { Constraints = { $"node.labels.{SwarmEnvironmentResource.NodeLabel} == {number.ToString(System.Globalization.CultureInfo.InvariantCulture)}" } };
        ReplaceStopFirst();
    }

    /// <summary>
    /// Replaces the service's tasks by stopping an old one before its successor is placed: the scheduler then counts
    /// only the tasks that stay, and puts the new one where the fewest run.
    /// </summary>
    public void ReplaceStopFirst() => SwarmDeployment.UpdateOrder(Service, "stop-first");

    /// <summary>
    /// Gives the service a config file at <paramref name="target"/> in its containers, named after
    /// <paramref name="name"/> and its content's hash (a config cannot change once made: a new content is a new config).
    /// The host folder the resource bind-mounts at <paramref name="target"/>'s folder is then left out of its image.
    /// </summary>
    public void AddConfig(string name, string content, string target)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))[..8];
        _writer.AddConfig(Service, $"{name}-{hash}", content, target);
    }
}
