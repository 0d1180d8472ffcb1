using System.Collections.Concurrent;
using System.Reflection;
using FooBar.Hosting.Processes;
using Xunit.Sdk;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Fails a test after which a volume named like the AppHost's own (<c>foobar.apphost-…</c>), or a container on such a
/// volume, is there that was not before: a fast test that started the real AppHost, which runs MySQL on that volume.
/// Fast tests need no Docker: when no engine answers, nothing can be left, and there is nothing to check.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LeavesNoAppHostDataAttribute : BeforeAfterTestAttribute
{
    // Aspire names a resource's data volume after the AppHost: foobar.apphost-<hash of its path>-<resource>-data.
    private const string VolumePrefix = "foobar.apphost-";

    private static readonly ConcurrentDictionary<MethodInfo, HashSet<string>?> BeforeEachTest = new();

    public override void Before(MethodInfo methodUnderTest) => BeforeEachTest[methodUnderTest] = Snapshot();

    public override void After(MethodInfo methodUnderTest)
    {
        if (!BeforeEachTest.TryRemove(methodUnderTest, out var before) || before is null || Snapshot() is not { } after)
        {
            return;
        }
        var left = after.Except(before).Order().ToList();
        Assert.True(left.Count == 0,
            $"{methodUnderTest.DeclaringType?.Name}.{methodUnderTest.Name} left the AppHost's own Docker data behind: {string.Join(", ", left)}. " +
            "A fast test builds the AppHost's model with AppHostModel.CreateAsync, which never runs it.");
    }

    // The AppHost's volumes, and the containers on them; null when no Docker engine answers.
    private static HashSet<string>? Snapshot() => Task.Run(async () =>
    {
        var volumes = DockerCli.RunAsync(["volume", "ls", "--quiet", "--filter", $"name={VolumePrefix}"], CancellationToken.None);
        var containers = DockerCli.RunAsync(["ps", "--all", "--no-trunc", "--format", "{{.Names}} {{.Mounts}}"], CancellationToken.None);
        if ((await volumes).ExitCode != 0 || (await containers).ExitCode != 0)
        {
            return null;
        }
        var names = (await volumes).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(name => name.StartsWith(VolumePrefix, StringComparison.Ordinal))
            .Select(name => $"volume {name}");
        // A Swarm stack's copy of the volume is named <stack>_foobar.apphost-…: a slow test's, which may run meanwhile.
        var onThem = (await containers).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2))
            .Where(fields => fields.Length == 2 && fields[1].Split(',').Any(mount => mount.StartsWith(VolumePrefix, StringComparison.Ordinal)))
            .Select(fields => $"container {fields[0]}");
        return names.Concat(onThem).ToHashSet();
    }).GetAwaiter().GetResult();
}
