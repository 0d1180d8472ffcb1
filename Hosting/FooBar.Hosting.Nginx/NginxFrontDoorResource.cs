namespace FooBar.Hosting;

/// <summary>
/// One of the site's front doors in high availability (<c>RunAsFrontDoors</c>): FooBar's nginx image in the host's
/// network namespace, run by the recipe's <c>front-door.sh</c>, listening on the site's address beside the other
/// doors (<c>http</c>, the same port for every door) and on an address of its own (<c>health</c>) for its own probe.
/// </summary>
/// <param name="name">The resource's name (<c>nginx-1</c>).</param>
/// <param name="script">The recipe's <c>front-door.sh</c>.</param>
/// <param name="recipeFolder">The nginx recipe's folder (the image's build context).</param>
public sealed class NginxFrontDoorResource(string name, string script, string recipeFolder)
    : ExecutableResource(name, script, recipeFolder)
{
    /// <summary>The site's address, which every door listens on (<c>reuseport</c>).</summary>
    internal const string HttpEndpointName = NginxResource.HttpEndpointName;

    /// <summary>The site's HTTPS address, which every door listens on too (<c>reuseport</c>), where nginx has HTTPS.</summary>
    internal const string HttpsEndpointName = NginxResource.HttpsEndpointName;

    /// <summary>This door's own address: its health check asks it, not whichever door the kernel picks.</summary>
    internal const string HealthEndpointName = "health";

    /// <summary>
    /// The door's container: named after the door and the site's port, so that one left behind by an AppHost that
    /// ended without stopping it is replaced by the next start on that address, and two sites on one machine do not meet.
    /// </summary>
    public string ContainerName => $"foobar-{Name}-{new EndpointReference(this, HttpEndpointName).Port}";

    /// <summary>The image the doors run, built from the recipe as it is when a door starts.</summary>
    internal FooBar.Hosting.Nginx.NginxFrontDoorImage Image { get; init; } = null!;
}
