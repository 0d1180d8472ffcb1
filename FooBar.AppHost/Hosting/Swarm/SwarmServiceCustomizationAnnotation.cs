using FooBar.Hosting.Swarm;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A change to the Swarm service generated for a resource, applied last, after everything the model says
/// (as <c>DockerComposeServiceCustomizationAnnotation</c> is in Aspire's Docker Compose publisher).
/// </summary>
/// <param name="configure">Receives the resource and its generated service.</param>
public sealed class SwarmServiceCustomizationAnnotation(Action<IResource, SwarmService> configure) : IResourceAnnotation
{
    /// <summary>Receives the resource and its generated service.</summary>
    public Action<IResource, SwarmService> Configure { get; } = configure ?? throw new ArgumentNullException(nameof(configure));
}
