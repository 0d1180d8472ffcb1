using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// Whether the stack runs with no single point of failure but the machine, from configuration key
/// <c>FooBar:HighAvailability</c> (<c>scripts/run.sh --ha</c> sets it): nginx as <see cref="FrontDoors"/> front doors on
/// the site's one address (<c>FooBar:FrontDoors</c>, 2 by default), the app as several instances
/// (<see cref="WebInstances"/>: at least 2, 3 unless <c>FooBar:WebInstances</c> says otherwise), and MySQL as a cluster
/// of <see cref="DatabaseNodes"/> nodes that each hold every acknowledged write. Off, every tier is
/// one, or the app's instances alone are several (the redundant mode).
/// </summary>
internal sealed record HighAvailability(bool Enabled, int FrontDoors)
{
    // Each door is an nginx of its own and a port of its own (the site's port + its number): a bound that catches a typo.
    private const int MostFrontDoors = 8;

    /// <summary>With high availability, the fewest app instances (<see cref="WebInstances.ScaledOut"/> unless configured).</summary>
    public const int FewestWebInstances = 2;

    /// <summary>With high availability, MySQL is a Galera cluster of this many nodes (mysql-1 … mysql-3): any one may fail.</summary>
    public const int DatabaseNodes = 3;

    public static HighAvailability From(IConfiguration configuration)
    {
        if (!configuration.GetValue("FooBar:HighAvailability", false))
        {
            return new HighAvailability(false, 1);
        }
        var frontDoors = configuration.GetValue("FooBar:FrontDoors", 2);
        if (frontDoors is < 2 or > MostFrontDoors)
        {
            throw new InvalidOperationException($"FooBar:FrontDoors is {frontDoors}; with high availability it must be between 2 and {MostFrontDoors}.");
        }
        return new HighAvailability(true, frontDoors);
    }
}
