using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Adminer;
using FooBar.Hosting.Programs;

namespace Aspire.Hosting;

/// <summary>
/// A database admin page for MySQL, as Aspire's MySQL integration offers phpMyAdmin (<c>WithPhpMyAdmin</c>). The
/// container follows the contract of FooBar's recipe (<c>images/adminer</c>, Debian's Adminer): it serves on port 8080
/// and logs in to the server on <c>/run/mysqld/mysqld.sock</c> as <c>ADMINER_USERNAME</c> with <c>ADMINER_PASSWORD</c>,
/// opening <c>ADMINER_DATABASE</c>.
/// </summary>
public static class AdminerBuilderExtensions
{
    private const string SocketDirectory = "/run/mysqld";

    /// <summary>
    /// Adds Adminer for this server, on loopback, logged in as the server's own login (root): a developer's page, in
    /// run mode only (a published stack has none). The server's socket folder becomes a folder of this run's on the
    /// host, shared with Adminer, so the login is root's from <c>localhost</c>, which needs no grant for a network.
    /// Linux only, as nginx's sockets are (Docker Desktop's VM does not carry a socket across).
    /// </summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="configureContainer">Gives Adminer its image, such as <c>WithDockerfile("../images/adminer")</c>.</param>
    /// <param name="containerName">The resource's name; <c>&lt;server&gt;-admin</c> when null.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithAdminer(this IResourceBuilder<MySqlServerResource> builder,
        Action<IResourceBuilder<AdminerResource>> configureContainer, string? containerName = null)
    {
        ArgumentNullException.ThrowIfNull(configureContainer);
        var application = builder.ApplicationBuilder;
        if (!application.ExecutionContext.IsRunMode || !OperatingSystem.IsLinux())
        {
            return builder;
        }

        var server = builder.Resource;
        var sockets = RunFolder.Create($"{server.Name}-socket");
        // mysqld runs as its own user in the container and makes its socket here: anyone may, /tmp's way (sticky).
        File.SetUnixFileMode(sockets.Path, (UnixFileMode)Convert.ToInt32("1777", 8));
        builder.WithBindMount(sockets.Path, SocketDirectory);

        var adminer = application.AddResource(new AdminerResource(containerName ?? $"{server.Name}-admin"))
            .WithImage(AdminerContainerImageTags.Image, AdminerContainerImageTags.Tag)
            // Published on loopback only, as MySQL's own port is.
            .WithHttpEndpoint(targetPort: 8080, name: AdminerResource.HttpEndpointName, isProxied: false)
            .WithBindMount(sockets.Path, SocketDirectory, isReadOnly: true)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["ADMINER_USERNAME"] = "root";
                context.EnvironmentVariables["ADMINER_PASSWORD"] = server.PasswordParameter;
                if (server.DatabaseResources is [var database, ..])
                {
                    context.EnvironmentVariables["ADMINER_DATABASE"] = database.DatabaseName;
                }
            })
            .WithParentRelationship(server)
            .WaitFor(builder)
            .WithHttpHealthCheck("/health.txt", endpointName: AdminerResource.HttpEndpointName)
            .WithUrlForEndpoint(AdminerResource.HttpEndpointName, url => url.DisplayText = "Adminer (logged in as root)");
        configureContainer(adminer);
        return builder;
    }
}
