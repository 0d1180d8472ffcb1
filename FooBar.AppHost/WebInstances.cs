using Microsoft.Extensions.Configuration;
using MySqlConnector;

namespace FooBar.AppHost;

/// <summary>
/// How many instances of FooBar.Web run behind nginx, from configuration key <c>FooBar:WebInstances</c>
/// (<c>scripts/run.sh --web-instances N</c> sets it): 1 by default, the seed's single application server; two or
/// more make the redundant mode, where one instance can fail or be restarted while the others answer. High
/// availability needs two or more, and it and a published stack (scripts/swarm.sh) run three unless told.
/// </summary>
internal sealed record WebInstances(int Count)
{
    // Each instance is a process of about 150 MB and its own port: a bound that catches a typo, not a design limit.
    private const int Most = 16;

    /// <summary>
    /// MySQL's connection limit, which the AppHost sets on the server (<c>WithMaxConnections</c>): MySQL's and MariaDB's
    /// own default. The instances' pools share all but <see cref="ReservedConnections"/> of them.
    /// </summary>
    public const int DatabaseConnections = 151;

    // Left for root's logins (the AppHost's, the admin page's) and the tests' own.
    private const int ReservedConnections = 11;

    // One instance keeps MySqlConnector's own default pool.
    private static readonly int DefaultPoolSize = (int)new MySqlConnectionStringBuilder().MaximumPoolSize;

    /// <summary>
    /// The most connections each instance's pool may hold: its share, so that under a load spike requests wait for
    /// a pooled connection instead of MySQL refusing new ones ("Too many connections", a 503 for the visitor).
    /// </summary>
    public int PoolSizeEach => Math.Min(DefaultPoolSize, (DatabaseConnections - ReservedConnections) / Count);

    /// <summary>With high availability, and in a published stack (built to scale out), the number run unless configured.</summary>
    public const int ScaledOut = 3;

    public static WebInstances From(IConfiguration configuration, HighAvailability highAvailability, DistributedApplicationExecutionContext executionContext)
    {
        var fewest = highAvailability.Enabled ? HighAvailability.FewestWebInstances : 1;
        var count = configuration.GetValue("FooBar:WebInstances", highAvailability.Enabled || executionContext.IsPublishMode ? ScaledOut : 1);
        if (count < fewest || count > Most)
        {
            throw new InvalidOperationException($"FooBar:WebInstances is {count}; it must be between {fewest} and {Most}"
                + (highAvailability.Enabled ? " with high availability (FooBar:HighAvailability)." : "."));
        }
        return new WebInstances(count);
    }
}
