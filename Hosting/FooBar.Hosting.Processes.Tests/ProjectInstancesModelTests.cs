namespace FooBar.Hosting.Processes.Tests;

/// <summary>A project's instances on a model built but never run: their names, numbers and shared name. No Docker.</summary>
[Trait("Speed", "Fast")]
public sealed class ProjectInstancesModelTests
{
    [Fact]
    public void Several_instances_are_numbered_from_one_and_share_the_groups_name()
    {
        var builder = DistributedApplication.CreateBuilder();
        var configured = new List<string>();

        var web = builder.AddProjectInstances<SomeProject>("web", 3, instance => configured.Add(instance.Resource.Name));

        Assert.Equal(["web-1", "web-2", "web-3"], web.Select(w => w.Resource.Name));
        Assert.Equal(["web-1", "web-2", "web-3"], configured);
        Assert.Equal([("web", 1, 3), ("web", 2, 3), ("web", 3, 3)], web.Select(w => Assert.Single(w.Resource.Annotations.OfType<ProjectInstanceAnnotation>()))
            .Select(a => (a.Name, a.Number, a.Count)));
    }

    [Fact]
    public void One_instance_keeps_the_name_and_none_is_refused()
    {
        var builder = DistributedApplication.CreateBuilder();

        Assert.Equal("web", Assert.Single(builder.AddProjectInstances<SomeProject>("web", 1, _ => { })).Resource.Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddProjectInstances<SomeProject>("none", 0, _ => { }));
    }

    // A project that is never built or run: this test project's own file, which Aspire finds without launch settings.
    private sealed class SomeProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(SourceFolder(), "FooBar.Hosting.Processes.Tests.csproj");

        private static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
    }
}
