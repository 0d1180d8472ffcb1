using FooBar.Hosting.Swarm;

namespace FooBar.Hosting;

/// <summary>
/// A resource's own part of the Swarm service generated for it, applied last, after everything the model says
/// (as <c>DockerComposeServiceCustomizationAnnotation</c> is in Aspire's Docker Compose publisher).
/// </summary>
/// <param name="configure">Receives the resource's service and the stack's names for the other resources.</param>
public sealed class SwarmServiceCustomizationAnnotation(Action<SwarmServiceContext> configure) : IResourceAnnotation
{
    /// <summary>Receives the resource's service and the stack's names for the other resources.</summary>
    public Action<SwarmServiceContext> Configure { get; } = configure ?? throw new ArgumentNullException(nameof(configure));
}
