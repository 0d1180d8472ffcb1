namespace FooBar.Hosting;

/// <summary>
/// One of the site's front doors in run mode (<c>AddNginxInstances</c>): FooBar's nginx image in the host's network
/// namespace, run by the recipe's <c>front-door.sh</c>, so nginx sees each client's own address. A door listens on the
/// site's address (<c>http</c>, and <c>https</c> with <c>WithTls</c>); where several doors share it (<c>reuseport</c>),
/// each also listens on an address of its own (<c>health</c>) for its own probe.
/// </summary>
/// <param name="name">The resource's name (<c>nginx</c>, or <c>nginx-1</c> …).</param>
/// <param name="number">The door's number, from 1.</param>
/// <param name="count">How many doors share the site's address.</param>
/// <param name="workingDirectory">The AppHost's folder, where the door's program starts.</param>
// Aspire runs a container only in a network of its own (DCP has no host network), so a door is docker run --network host in an executable.
public sealed class NginxFrontDoorResource(string name, int number, int count, string workingDirectory)
    : ExecutableResource(name, "bash", workingDirectory), INginxResource
{
    /// <summary>The site's address, which every door listens on.</summary>
    internal const string HttpEndpointName = NginxResource.HttpEndpointName;

    /// <summary>The site's HTTPS address, which every door listens on too, where nginx has HTTPS.</summary>
    internal const string HttpsEndpointName = NginxResource.HttpsEndpointName;

    /// <summary>A shared door's own address: its health check asks it, not whichever door the kernel picks.</summary>
    internal const string OwnEndpointName = "health";

    /// <summary>The door's number, from 1.</summary>
    public int Number { get; } = number;

    /// <summary>Whether other doors listen on the site's address too (<c>reuseport</c>), so the door has an address of its own.</summary>
    public bool Shared { get; } = count > 1;

    /// <inheritdoc />
    public string HealthEndpointName => Shared ? OwnEndpointName : HttpEndpointName;

    /// <summary>
    /// The door's container: named after the door and the site's port, so that one left behind by an AppHost that
    /// ended without stopping it is replaced by the next start on that address, and two sites on one machine do not meet.
    /// </summary>
    public string ContainerName => $"foobar-{Name}-{new EndpointReference(this, HttpEndpointName).Port}";

    /// <summary>The image the door runs, built from the recipe (<c>WithDockerfile</c>) as it is when the door starts.</summary>
    internal FooBar.Hosting.Nginx.NginxFrontDoorImage? Image { get; set; }
}
