using YamlDotNet.RepresentationModel;

namespace FooBar.Hosting.Swarm.Tests;

/// <summary>
/// The Swarm publisher on a bare model, published into a folder of its own (`--step publish-swarm` only writes files):
/// each resource's service, and what a resource contributes to its own service. No Docker.
/// </summary>
[Trait("Speed", "Fast")]
public sealed class SwarmPublishModelTests
{
    [Fact]
    public async Task A_container_becomes_a_service_built_from_its_image_with_its_environment_and_its_own_contribution()
    {
        var output = Directory.CreateTempSubdirectory("foobar-swarm-model-");
        try
        {
            var builder = DistributedApplication.CreateBuilder(
                ["--operation", "publish", "--step", "publish-swarm", "--output-path", output.FullName]);
            builder.AddSwarmEnvironment("swarm");
            builder.AddContainer("cache", "redis", "7.4")
                .WithEnvironment("MODE", "lru")
                .PublishAsSwarmService((_, service) => service.Environment["CONTRIBUTED"] = "by the resource");

            using var app = builder.Build();
            await app.RunAsync().WaitAsync(TimeSpan.FromMinutes(1));

            var yaml = new YamlStream();
            yaml.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(output.FullName, SwarmEnvironmentResource.StackFileName))));
            var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
            var cache = (YamlMappingNode)services["cache"];
            // The stack runs images built for it, named by the deploy's tag; the container's own image is the recipe's base.
            Assert.Contains($"/cache:${{{SwarmEnvironmentResource.ImageTagVariable}", cache["image"].ToString());
            var recipe = await File.ReadAllTextAsync(Path.Combine(output.FullName, SwarmEnvironmentResource.ImagesFolder, "cache", "Dockerfile"));
            Assert.Matches(@"(?m)^FROM \S*redis:7\.4$", recipe);
            var environment = (YamlMappingNode)cache["environment"];
            Assert.Equal("lru", environment["MODE"].ToString());
            Assert.Equal("by the resource", environment["CONTRIBUTED"].ToString());
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public void In_run_mode_the_environment_is_not_in_the_model()
    {
        var builder = DistributedApplication.CreateBuilder();

        var swarm = builder.AddSwarmEnvironment("swarm");

        Assert.DoesNotContain(swarm.Resource, builder.Resources);
    }
}
