using FooBar.Hosting.Adminer;

namespace FooBar.Hosting.Adminer.Tests;

/// <summary>The Adminer integration on a model built but never run: the page beside a MySQL server. No Docker.</summary>
[Trait("Speed", "Fast")]
public sealed class AdminerModelTests
{
    [Fact]
    public void WithAdminer_adds_the_page_beside_its_server_on_a_port_docker_picks()
    {
        var builder = DistributedApplication.CreateBuilder();

        var mysql = builder.AddMySql("mysql").WithAdminer();

        var adminer = Assert.Single(builder.Resources.OfType<AdminerResource>());
        Assert.Equal("mysql-admin", adminer.Name);
        var image = Assert.Single(adminer.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal((AdminerContainerImageTags.Image, AdminerContainerImageTags.Tag), (image.Image, image.Tag));
        var endpoint = Assert.Single(adminer.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal((AdminerResource.HttpEndpointName, 8080, (int?)null, false), (endpoint.Name, endpoint.TargetPort, endpoint.Port, endpoint.IsProxied));
        Assert.Contains(adminer.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == mysql.Resource);
    }

    [Fact]
    public void A_published_model_has_no_admin_page()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);

        builder.AddMySql("mysql").WithAdminer(containerName: "admin");

        Assert.Empty(builder.Resources.OfType<AdminerResource>());
    }
}
