using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// How many instances of FooBar.Web run behind nginx, from configuration key <c>FooBar:WebInstances</c>
/// (<c>scripts/run.sh --web-instances N</c> sets it): 1 by default, the seed's single application server; two or
/// more make the redundant mode, where one instance can fail or be restarted while the others answer. High
/// availability needs two or more, and runs three unless told.
/// </summary>
internal sealed record WebInstances(int Count)
{
    // Each instance is a process of about 150 MB and its own port: a bound that catches a typo, not a design limit.
    private const int Most = 16;

    // MySQL and MariaDB accept 151 connections by default (max_connections); the instances' pools share 140 of them,
    // leaving room for root's and the tests' own. One instance keeps MySqlConnector's default pool of 100.
    private const int SharedConnections = 140;
    private const int DefaultPoolSize = 100;

    /// <summary>
    /// The most connections each instance's pool may hold: its share, so that under a load spike requests wait for
    /// a pooled connection instead of MySQL refusing new ones ("Too many connections", a 503 for the visitor).
    /// </summary>
    public int PoolSizeEach => Math.Min(DefaultPoolSize, SharedConnections / Count);

    public static WebInstances From(IConfiguration configuration, HighAvailability highAvailability)
    {
        var (fewest, count) = highAvailability.Enabled
            ? (HighAvailability.FewestWebInstances, configuration.GetValue("FooBar:WebInstances", HighAvailability.DefaultWebInstances))
            : (1, configuration.GetValue("FooBar:WebInstances", 1));
        if (count < fewest || count > Most)
        {
            throw new InvalidOperationException($"FooBar:WebInstances is {count}; it must be between {fewest} and {Most}"
                + (highAvailability.Enabled ? " with high availability (FooBar:HighAvailability)." : "."));
        }
        return new WebInstances(count);
    }
}
