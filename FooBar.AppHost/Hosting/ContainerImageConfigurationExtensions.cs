using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

public static class ContainerImageConfigurationExtensions
{
    /// <summary>
    /// Lets configuration key <c>ContainerImages:&lt;resource name&gt;</c> (for example the environment variable
    /// <c>ContainerImages__mysql</c>) replace the resource's image, so a machine that cannot pull the official
    /// image runs a compatible local one with the same AppHost code. Unset or empty keeps the default.
    /// </summary>
    public static IResourceBuilder<T> WithImageFromConfiguration<T>(this IResourceBuilder<T> builder) where T : ContainerResource
    {
        var image = builder.ApplicationBuilder.Configuration[$"ContainerImages:{builder.Resource.Name}"];
        if (string.IsNullOrWhiteSpace(image))
        {
            return builder;
        }

        // The configured name says where the image comes from; no registry set earlier may be prefixed to it.
        builder.Resource.Annotations.OfType<ContainerImageAnnotation>().Single().Registry = null;
        return builder.WithImage(image);
    }
}
