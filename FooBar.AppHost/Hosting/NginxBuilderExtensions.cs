using Aspire.Hosting.ApplicationModel;
using FooBar.AppHost.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// nginx hosting that follows the official nginx image's contract: site configuration comes from
/// <c>/etc/nginx/templates/*.template</c>, rendered with the container's environment at start.
/// </summary>
public static class NginxBuilderExtensions
{
    private const string TemplatesDirectory = "/etc/nginx/templates";
    private const string HtmlDirectory = "/usr/share/nginx/html";
    private const string SocketsDirectory = "/run/foobar";

    /// <summary>Adds an nginx container, published on loopback.</summary>
    /// <remarks>
    /// This version defaults to the <inheritdoc cref="NginxContainerImageTags.Tag"/> tag of the
    /// <inheritdoc cref="NginxContainerImageTags.Image"/> image from <inheritdoc cref="NginxContainerImageTags.Registry"/>;
    /// <c>WithDockerfile</c> replaces it with an image built from a recipe that honours the same contract.
    /// </remarks>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource's name.</param>
    /// <param name="port">The host port nginx is published on (on loopback); a free one when null.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> AddNginx(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int? port = null) =>
        builder.AddResource(new NginxResource(name))
            .WithImage(NginxContainerImageTags.Image, NginxContainerImageTags.Tag)
            .WithImageRegistry(NginxContainerImageTags.Registry)
            // Published straight to loopback: visitors reach nginx itself, not a proxy of Aspire's in front of it.
            .WithHttpEndpoint(port: port, targetPort: 80, name: NginxResource.HttpEndpointName, isProxied: false);

    /// <summary>Mounts a folder of <c>*.conf.template</c> files as nginx's site configuration.</summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="source">The folder of templates, relative to the AppHost's folder or absolute.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> WithConfigTemplates(this IResourceBuilder<NginxResource> builder, string source) =>
        builder.WithBindMount(source, TemplatesDirectory, isReadOnly: true);

    /// <summary>Serves the project's <c>wwwroot</c> (mounted read-only), so nginx answers static requests itself.</summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="project">The project whose static files nginx serves.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> WithStaticFilesFrom(this IResourceBuilder<NginxResource> builder,
        IResourceBuilder<ProjectResource> project)
    {
        var projectDirectory = Path.GetDirectoryName(project.Resource.GetProjectMetadata().ProjectPath)!;
        return builder.WithBindMount(Path.Combine(projectDirectory, "wwwroot"), HtmlDirectory, isReadOnly: true);
    }

    /// <summary>
    /// Makes <paramref name="upstream"/>'s HTTP endpoint nginx's upstream, named in the environment variable
    /// <c>NGINX_UPSTREAM_&lt;NAME&gt;</c> that the templates use. On Linux the project also listens on a Unix
    /// socket in a folder bind-mounted into the container, so nginx reaches it with no TCP hop and no tunnel
    /// (nginx and an app server are paired this way on one machine); a refused connection then reaches nginx
    /// at once. Elsewhere (Docker Desktop's VM does not carry a socket across) nginx uses the endpoint over TCP.
    /// </summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="upstream">The project nginx forwards dynamic requests to.</param>
    /// <param name="endpointName">The project's HTTP endpoint.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> WithUpstream(this IResourceBuilder<NginxResource> builder,
        IResourceBuilder<ProjectResource> upstream, string endpointName = "http")
    {
        var variable = $"NGINX_UPSTREAM_{upstream.Resource.Name.ToUpperInvariant()}";
        builder.WithRelationship(upstream.Resource, "Upstream");
        if (!OperatingSystem.IsLinux())
        {
            return builder.WithEnvironment(variable, upstream.GetEndpoint(endpointName).Property(EndpointProperty.HostAndPort));
        }

        var socket = UnixSocketFolder.Create(upstream.Resource.Name).SocketPath(endpointName);
        var socketInContainer = $"{SocketsDirectory}/{upstream.Resource.Name}/{Path.GetFileName(socket)}";
        upstream.WithAdditionalUrl($"http://unix:{socket}");
        return builder
            .WithBindMount(Path.GetDirectoryName(socket)!, Path.GetDirectoryName(socketInContainer)!, isReadOnly: true)
            .WithEnvironment(variable, $"unix:{socketInContainer}");
    }
}
