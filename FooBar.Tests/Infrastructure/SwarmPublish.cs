using YamlDotNet.RepresentationModel;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The Swarm stack the AppHost's publish step writes, read back: the AppHost runs in publish mode (as
/// `--operation publish --step publish-swarm` runs it) into a folder of its own and only writes files. No Docker.
/// </summary>
public static class SwarmPublish
{
    /// <summary>Publishes with the AppHost's <paramref name="args"/> (its configuration) and returns what it wrote.</summary>
    public static async Task<PublishedStack> PublishAsync(string[] args, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        var output = Directory.CreateTempSubdirectory("foobar-swarm-");
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>(
                // publish-swarm writes the stack and the recipes; `--step publish` would also publish the app into them.
                [.. args, "--operation", "publish", "--step", "publish-swarm", "--output-path", output.FullName]);
            configure?.Invoke(builder);
            await using var app = await builder.BuildAsync();
            await app.RunAsync().WaitAsync(TimeSpan.FromMinutes(1));

            // Every file written but the programs copied into the recipes (app/), by its path in the output folder.
            var files = output.GetFiles("*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(output.FullName, f.FullName).Replace('\\', '/'))
                .Where(path => !path.Contains("/app/", StringComparison.Ordinal))
                .ToDictionary(path => path, path => File.ReadAllText(Path.Combine(output.FullName, path)));
            var yaml = new YamlStream();
            yaml.Load(new StringReader(files[SwarmEnvironmentResource.StackFileName]));
            return new PublishedStack(builder.Resources.ToList(), (YamlMappingNode)yaml.Documents[0].RootNode, files);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}

/// <summary>A published stack: the model it came from, its stack file's YAML, and every file written beside it by path.</summary>
public sealed record PublishedStack(IReadOnlyList<IResource> Resources, YamlMappingNode Root, IReadOnlyDictionary<string, string> Files)
{
    public string Text => Files[SwarmEnvironmentResource.StackFileName];

    public YamlMappingNode Services => Map("services");

    public YamlMappingNode Service(string name) => Map("services", name);

    public YamlMappingNode Map(params string[] path) => Assert.IsType<YamlMappingNode>(Node(path));

    public IEnumerable<YamlNode> Sequence(params string[] path) => Assert.IsType<YamlSequenceNode>(Node(path)).Children;

    public string Scalar(params string[] path) => Assert.IsType<YamlScalarNode>(Node(path)).Value!;

    public bool Has(params string[] path) =>
        Assert.IsType<YamlMappingNode>(path[..^1].Aggregate((YamlNode)Root, (node, key) => Assert.IsType<YamlMappingNode>(node).Children[new YamlScalarNode(key)]))
            .Children.ContainsKey(new YamlScalarNode(path[^1]));

    /// <summary>The content of the config mounted at <paramref name="target"/> in <paramref name="service"/>.</summary>
    public string ConfigAt(string service, string target)
    {
        var config = Sequence("services", service, "configs").Cast<YamlMappingNode>().Single(c => c["target"].ToString() == target);
        return Files[Path.GetFileName(Scalar("configs", config["source"].ToString(), "file"))];
    }

    private YamlNode Node(string[] path) =>
        path.Aggregate((YamlNode)Root, (node, key) => Assert.IsType<YamlMappingNode>(node).Children[new YamlScalarNode(key)]);
}
