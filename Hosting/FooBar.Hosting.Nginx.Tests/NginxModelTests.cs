using FooBar.Hosting.Nginx;

namespace FooBar.Hosting.Nginx.Tests;

/// <summary>The nginx integration on a model built but never run: its image, endpoint, mounts and commands. No Docker.</summary>
[Trait("Speed", "Fast")]
public sealed class NginxModelTests
{
    [Fact]
    public void AddNginx_runs_the_official_image_published_on_loopback_with_no_proxy()
    {
        var builder = DistributedApplication.CreateBuilder();

        var nginx = builder.AddNginx("nginx", port: 18080).WithConfigTemplates("/srv/templates").WithReloadCommand();

        var image = Assert.Single(nginx.Resource.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal((NginxContainerImageTags.Registry, NginxContainerImageTags.Image, NginxContainerImageTags.Tag), (image.Registry, image.Image, image.Tag));
        var endpoint = Assert.Single(nginx.Resource.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("http", 80, 18080, false), (endpoint.Name, endpoint.TargetPort, endpoint.Port, endpoint.IsProxied));
        Assert.Single(nginx.Resource.Annotations.OfType<ContainerMountAnnotation>(),
            m => m is { Source: "/srv/templates", Target: "/etc/nginx/templates", IsReadOnly: true });
        Assert.Single(nginx.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == NginxCommandExtensions.ReloadCommandName);
    }
}
