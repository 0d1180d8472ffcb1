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
}
