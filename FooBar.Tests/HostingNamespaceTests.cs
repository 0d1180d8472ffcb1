using System.Reflection;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// No public type of FooBar's integrations wears a name of Aspire's own (<c>Aspire.Hosting.*</c>): beside an official
/// package (Aspire.Hosting.MySql) the two would collide. The shapes stay the official ones; the namespaces are FooBar's.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class HostingNamespaceTests
{
    private static readonly string[] Integrations =
        ["FooBar.Hosting.Adminer", "FooBar.Hosting.Dns", "FooBar.Hosting.MySql", "FooBar.Hosting.Nginx", "FooBar.Hosting.Processes", "FooBar.Hosting.Swarm"];

    [Fact]
    public void No_public_type_of_an_integration_is_in_an_Aspire_namespace()
    {
        var assemblies = Directory.GetFiles(AppContext.BaseDirectory, "FooBar.Hosting.*.dll")
            .Select(file => Assembly.LoadFrom(file))
            .ToList();
        // Every integration is here to be checked: a missing one would pass unseen.
        Assert.Equal(Integrations, assemblies.Select(a => a.GetName().Name).Order());

        var offenders = assemblies.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.Namespace is { } name && (name == "Aspire" || name.StartsWith("Aspire.", StringComparison.Ordinal)))
            .Select(t => t.FullName)
            .ToList();

        Assert.True(offenders.Count == 0, $"Public types in Aspire's namespaces: {string.Join(", ", offenders)}");
    }
}
