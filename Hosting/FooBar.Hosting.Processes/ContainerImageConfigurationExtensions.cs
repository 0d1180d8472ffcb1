using Aspire.Hosting.ApplicationModel;

namespace FooBar.Hosting;

/// <summary>Lets configuration replace a container resource's default image, with no change to the AppHost's code.</summary>
public static class ContainerImageConfigurationExtensions
{
    /// <summary>
    /// Lets configuration key <c>ContainerImages:&lt;resource name&gt;</c> (for example the environment variable
    /// <c>ContainerImages__mysql</c>) replace the resource's image, so a machine that cannot pull the official
    /// image runs a compatible local one with the same AppHost code. Unset or empty keeps the default.
    /// </summary>
    /// <typeparam name="T">The container resource's type.</typeparam>
    /// <param name="builder">The container's resource builder.</param>
    /// <returns>The container's resource builder.</returns>
    /// <example>
    /// With <c>"ContainerImages": { "mysql": "foobar/mysql-compatible:mariadb-10.11" }</c> in appsettings.json,
    /// this server runs that image instead of the official one:
    /// <code lang="csharp">
    /// builder.AddMySql("mysql").WithImageFromConfiguration();
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithImageFromConfiguration<T>(this IResourceBuilder<T> builder) where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(builder);

        var image = builder.ApplicationBuilder.Configuration[$"ContainerImages:{builder.Resource.Name}"];
        if (string.IsNullOrWhiteSpace(image))
        {
            return builder;
        }

        // The configured name says where the image comes from; the default's registry must not be prefixed to it.
        return builder.WithImageRegistry(null).WithImage(image);
    }
}
