namespace FooBar.Hosting;

/// <summary>
/// Several instances that serve as one (web-1 … web-N, or the front doors nginx-1 … nginx-N): the dashboard shows them
/// under it, and its health says how many answer: <c>Healthy</c> with all, <c>Degraded</c> with fewer (the others carry
/// the load, without their redundancy), <c>Unhealthy</c> with none. Run mode only; it runs nothing of its own.
/// </summary>
/// <param name="name">The group's name (<c>web</c>, <c>nginx</c>).</param>
/// <param name="noun">What one member is, for the health report ("web instance", "front door").</param>
public sealed class InstanceGroupResource(string name, string noun) : Resource(name)
{
    private readonly List<IResource> _members = [];

    /// <summary>What one member is, for the health report.</summary>
    public string Noun { get; } = noun;

    /// <summary>The instances, in order.</summary>
    public IReadOnlyList<IResource> Members => _members;

    internal void Add(IResource member) => _members.Add(member);
}
