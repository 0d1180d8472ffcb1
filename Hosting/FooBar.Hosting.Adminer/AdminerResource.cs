namespace FooBar.Hosting;

/// <summary>
/// Adminer, a database admin page, in a container beside a MySQL server or cluster: it reaches each server over the
/// server's Unix socket and logs in as the server's own login (root), so whoever opens it is in.
/// </summary>
/// <param name="name">The resource's name.</param>
public sealed class AdminerResource(string name) : ContainerResource(name)
{
    internal const string HttpEndpointName = "http";
}
