using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// How many instances of FooBar.Web run behind nginx, from configuration key <c>FooBar:WebInstances</c>
/// (<c>scripts/run.sh --web-instances N</c> sets it): 1 by default, the seed's single application server; two or
/// more make the redundant mode, where one instance can fail or be restarted while the others answer.
/// </summary>
internal static class WebInstances
{
    // Each instance is a process of about 150 MB and its own port: a bound that catches a typo, not a design limit.
    private const int Most = 16;

    public static int From(IConfiguration configuration)
    {
        var instances = configuration.GetValue("FooBar:WebInstances", 1);
        if (instances is < 1 or > Most)
        {
            throw new InvalidOperationException($"FooBar:WebInstances is {instances}; it must be between 1 and {Most}.");
        }
        return instances;
    }
}
