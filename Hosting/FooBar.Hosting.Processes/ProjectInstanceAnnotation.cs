namespace FooBar.Hosting;

/// <summary>
/// Marks a project resource as one of the instances <c>AddProjectInstances</c> made, so that a publisher can deploy
/// them as one service with replicas where an orchestrator runs the copies itself.
/// </summary>
/// <param name="name">The instances' common name (<c>web</c> for <c>web-1</c> … <c>web-N</c>).</param>
/// <param name="number">This instance's number, from 1.</param>
/// <param name="count">How many instances there are.</param>
public sealed class ProjectInstanceAnnotation(string name, int number, int count) : IResourceAnnotation
{
    /// <summary>The instances' common name (<c>web</c> for <c>web-1</c> … <c>web-N</c>).</summary>
    public string Name { get; } = name;

    /// <summary>This instance's number, from 1.</summary>
    public int Number { get; } = number;

    /// <summary>How many instances there are.</summary>
    public int Count { get; } = count;
}
