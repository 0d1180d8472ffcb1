using Xunit.Abstractions;
using Xunit.Sdk;

// Two collections at a time on the 2-core machine: with four, a full run took as long (12 min) and the cores were so
// busy that a restarted Galera node failed to resolve its peers and a front door's probes fell short of their count.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
[assembly: TestCollectionOrderer(FooBar.Tests.Infrastructure.LongestFirstOrderer.TypeName, FooBar.Tests.Infrastructure.LongestFirstOrderer.AssemblyName)]

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Starts the collections that take longest first, so the short ones fill the lanes at the end instead of a long one
/// starting last: the Swarm stack, then each stack fixture in the order of its collection's time, then the other Docker
/// classes, then the fast ones. xunit runs <see cref="CollectionBehaviorAttribute.MaxParallelThreads"/> collections at a
/// time, each starting when one ends.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    /// <summary>For <c>[assembly: TestCollectionOrderer(…)]</c>, which takes names only.</summary>
    public const string TypeName = "FooBar.Tests.Infrastructure.LongestFirstOrderer";
    public const string AssemblyName = "FooBar.Tests";

    // Longest first, by the collections' times (start-up and tests) in a full run on the 2-core VM, 2026-12-07; but the
    // two stacks of MySQL's cluster not together, as their six nodes starting at once took half as long again. The
    // Swarm stack's down leaves its swarm, and a container that DCP then connects to a network made before it (a Galera
    // node restarted) reaches none of its peers: in this order the high-availability stack's tests end before that
    // (1 min against the Swarm's 3), and the stacks that restart MySQL start after it.
    private static readonly Type[] Stacks =
    [
        typeof(SwarmStackFixture), typeof(HighAvailabilityStackFixture), typeof(StackFixture), typeof(OutageStackFixture),
        typeof(DatabaseClusterStackFixture), typeof(RedundantStackFixture), typeof(OverloadStackFixture),
    ];

    // xunit's name for the collection of a class that names none.
    private const string ClassCollectionPrefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        var type = collection.CollectionDefinition?.ToRuntimeType()
            ?? (collection.DisplayName.StartsWith(ClassCollectionPrefix, StringComparison.Ordinal)
                ? typeof(LongestFirstOrderer).Assembly.GetType(collection.DisplayName[ClassCollectionPrefix.Length..])
                : null);
        if (type is null)
        {
            return Stacks.Length + 1;
        }
        var fixtures = type.GetInterfaces()
            .Where(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(ICollectionFixture<>) || i.GetGenericTypeDefinition() == typeof(IClassFixture<>)))
            .Select(i => Array.IndexOf(Stacks, i.GetGenericArguments()[0]))
            .Where(index => index >= 0)
            .ToList();
        if (fixtures.Count > 0)
        {
            return fixtures.Min();
        }
        var docker = type.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute) && (string?)a.ConstructorArguments[1].Value == Speed.Docker);
        return docker ? Stacks.Length : Stacks.Length + 1;
    }
}
