namespace FooBar.Tests.Infrastructure;

/// <summary>What every test under a steady load checks first, so that no check of its requests can pass on an empty load.</summary>
public static class LoadAssertions
{
    /// <summary>Fails unless the load made at least <paramref name="gets"/> GETs (pages, the static file and forms) and the site acknowledged at least <paramref name="posts"/> posts.</summary>
    public static void AssertAtLeast(this SteadyLoad load, int gets, int posts)
    {
        var made = load.Requests.Count(r => r.Method == "GET");
        Assert.True(made >= gets, $"only {made} GETs were made, fewer than {gets}");
        Assert.True(load.AcknowledgedPosts.Count >= posts, $"only {load.AcknowledgedPosts.Count} posts were acknowledged, fewer than {posts}");
    }

    /// <summary>
    /// Lets the load run until it has made <paramref name="gets"/> GETs that started at <paramref name="since"/> (from its
    /// start) or later, for at most <paramref name="timeout"/> (a minute unless told): a load of a size, not of a time.
    /// </summary>
    public static Task RunUntilAsync(this SteadyLoad load, int gets, TimeSpan since = default, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => Task.FromResult(load.Requests.Count(r => r.Method == "GET" && r.StartedAt >= since) >= gets),
            $"{gets} GETs of the load", timeout ?? TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100));

    /// <summary>How long the load has run: the <see cref="SteadyLoad.Request.StartedAt"/> of a request that starts now.</summary>
    public static TimeSpan Elapsed(this SteadyLoad load) => DateTimeOffset.UtcNow - load.Started;

    /// <summary>
    /// Every acknowledged post is among <paramref name="stored"/>, and any other stored post is one whose visitor got no
    /// acknowledgement (a process killed mid-request may have stored it first): with every post answered, exactly those.
    /// </summary>
    public static void AssertEveryAcknowledgedPostStored(this SteadyLoad load, IReadOnlyCollection<long> stored)
    {
        Assert.Subset(stored.ToHashSet(), load.AcknowledgedPosts.ToHashSet());
        var unanswered = load.Requests.Count(r => r.Method == "POST" && !r.Succeeded);
        var unacknowledged = stored.Count - load.AcknowledgedPosts.Count;
        Assert.True(unacknowledged <= unanswered,
            $"{unacknowledged} stored posts were never acknowledged, more than the {unanswered} posts that got no answer");
    }
}
