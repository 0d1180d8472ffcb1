using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Nginx;
using FooBar.Hosting.Processes;
using FooBar.Hosting.Swarm;

namespace FooBar.Hosting;

/// <summary>
/// nginx hosting that follows the official nginx image's contract: site configuration comes from
/// <c>/etc/nginx/templates/*.template</c>, rendered with the container's environment at start.
/// </summary>
public static class NginxBuilderExtensions
{
    private const string TemplatesDirectory = "/etc/nginx/templates";
    private const string HtmlDirectory = "/usr/share/nginx/html";
    private const string SocketsDirectory = "/run/foobar";
    private const string UpstreamsDirectory = "/etc/nginx/upstreams";
    private const string TlsDirectory = "/etc/nginx/tls";

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

    /// <summary>
    /// Serves the site over HTTPS as well, on loopback at <paramref name="port"/>, with the certificate and key in
    /// <paramref name="certificateFile"/> (one PEM file): nginx/snippets/tls.conf's settings, HTTP/2, HSTS, and plain
    /// HTTP answering with a 301 to HTTPS (nginx's own health endpoint excepted). The file's folder is bind-mounted
    /// read-only, so a certificate renewed in place (one rename) is taken by the next reload (<c>WithReloadCommand</c>).
    /// A published Swarm stack carries the file as a secret instead and publishes HTTPS on 443 (<see cref="NginxSwarmTls"/>).
    /// </summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="certificateFile">The PEM file with the certificate (its chain) and its private key.</param>
    /// <param name="port">The host port of HTTPS (on loopback); a free one when null.</param>
    /// <returns>The nginx resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddNginx("nginx", port: 8080).WithTls("/etc/foobar/tls/www.foobar.com.pem", port: 8443);
    /// </code>
    /// </example>
    public static IResourceBuilder<NginxResource> WithTls(this IResourceBuilder<NginxResource> builder, string certificateFile, int? port = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificateFile);
        var file = Path.GetFullPath(certificateFile);
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return builder.PublishAsSwarmService(context => NginxSwarmTls.Contribute(context, file));
        }
        var https = builder
            .WithHttpsEndpoint(port: port, targetPort: 443, name: NginxResource.HttpsEndpointName, isProxied: false)
            .GetEndpoint(NginxResource.HttpsEndpointName);
        return builder
            .WithBindMount(Path.GetDirectoryName(file)!, TlsDirectory, isReadOnly: true)
            .WithEnvironment("NGINX_TLS_LISTEN", "443")
            .WithEnvironment("NGINX_TLS_CERTIFICATE", $"{TlsDirectory}/{Path.GetFileName(file)}")
            // The port visitors reach HTTPS on, for the redirect from HTTP: the host's (a reference from the container
            // itself would be its own 443). Front doors, whose nginx never runs, set their own.
            .WithEnvironment(context =>
            {
                if (context.ExecutionContext.IsPublishMode)
                {
                    context.EnvironmentVariables["NGINX_HTTPS_PORT"] = https.Property(EndpointProperty.Port);
                }
                else if (https.IsAllocated)
                {
                    context.EnvironmentVariables["NGINX_HTTPS_PORT"] = https.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            })
            .OnBeforeResourceStarted((_, _, _) => File.Exists(file)
                ? Task.CompletedTask
                : throw new InvalidOperationException($"{builder.Resource.Name}'s certificate {file} is missing: scripts/setup.sh issues it."));
    }

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
    /// Makes <paramref name="servers"/> the upstream block <paramref name="name"/> that the templates proxy to: nginx
    /// balances across their HTTP endpoints (least in-flight requests first), marks one that fails out of rotation
    /// for a while and retries a request that it could not deliver on the next. The <c>server</c> lines are a file
    /// the AppHost writes before nginx starts (<see cref="NginxUpstream"/>), mounted at
    /// <c>/etc/nginx/upstreams/&lt;name&gt;/servers.conf</c>, which the block includes. On Linux each project also
    /// listens on a Unix socket in a folder bind-mounted into the container, so nginx reaches it with no TCP hop and
    /// no tunnel (nginx and an app server are paired this way on one machine); a refused connection then reaches
    /// nginx at once. Elsewhere (Docker Desktop's VM does not carry a socket across) nginx uses the endpoints over TCP.
    /// </summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="name">The upstream block's name in the templates.</param>
    /// <param name="servers">The application servers: one, or several instances of the same project.</param>
    /// <param name="endpointName">Their HTTP endpoint.</param>
    /// <returns>The nginx resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddNginx("nginx", port: 8080).WithConfigTemplates("../nginx/templates").WithUpstream("web", webInstances);
    /// </code>
    /// </example>
    public static IResourceBuilder<NginxResource> WithUpstream(this IResourceBuilder<NginxResource> builder, string name,
        IReadOnlyList<IResourceBuilder<ProjectResource>> servers, string endpointName = "http")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (servers.Count == 0)
        {
            throw new ArgumentException("An upstream needs at least one server.", nameof(servers));
        }

        var folder = RunFolder.Create($"{builder.Resource.Name}-{name}");
        var upstream = new NginxUpstream(name, folder.File("servers.conf"), endpointName);
        var folderInContainer = $"{UpstreamsDirectory}/{name}";
        builder.WithBindMount(folder.Path, folderInContainer, isReadOnly: true)
            // A published stack's nginx follows its servers' tasks by DNS name instead.
            .PublishAsSwarmService(context => NginxSwarmUpstream.Contribute(context, upstream, folderInContainer));
        foreach (var server in servers)
        {
            builder.WithRelationship(server.Resource, "Upstream");
            // Sockets are for one machine, in run mode: a published stack reaches its servers over the network.
            if (OperatingSystem.IsLinux() && builder.ApplicationBuilder.ExecutionContext.IsRunMode)
            {
                var socket = RunFolder.Create(server.Resource.Name).File($"{endpointName}.sock");
                var socketInContainer = $"{SocketsDirectory}/{server.Resource.Name}/{Path.GetFileName(socket)}";
                server.WithAdditionalUrl($"http://unix:{socket}");
                builder.WithBindMount(Path.GetDirectoryName(socket)!, Path.GetDirectoryName(socketInContainer)!, isReadOnly: true);
                upstream.Add(server.Resource, _ => ValueTask.FromResult<string?>($"unix:{socketInContainer}"));
            }
            else
            {
                // The address a container uses to reach the project (through Aspire's tunnel or the host's gateway).
                var address = server.GetEndpoint(endpointName).Property(EndpointProperty.HostAndPort);
                upstream.Add(server.Resource, cancellationToken => address.GetValueAsync(new ValueProviderContext { Caller = builder.Resource }, cancellationToken));
            }
        }

        return builder
            .WithAnnotation(upstream)
            // Before every start, with every server in rotation: a restarted nginx begins with the whole list.
            .OnBeforeResourceStarted((_, _, cancellationToken) => upstream.WriteAsync(down: null, cancellationToken));
    }
}
