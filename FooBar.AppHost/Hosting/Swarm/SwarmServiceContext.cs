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
