using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// nginx's per-client limits, from configuration keys <c>FooBar:Nginx:ClientConnections</c> (connections at once),
/// <c>FooBar:Nginx:ClientRate</c> (requests a second to the app) and <c>FooBar:Nginx:ClientBurst</c> (requests above
/// that rate answered at once), passed to nginx as <c>NGINX_CLIENT_*</c>. Each one not configured keeps the image's
/// default (nginx/docker-entrypoint.sh: 32, 1,000 and 2,000); a value of 0 or below, not a whole number, or above
/// what nginx takes (65,535 connections), stops the AppHost at start with the key's name.
/// </summary>
internal sealed record NginxClientLimits(IReadOnlyDictionary<string, string> Environment)
{
    // nginx refuses to start on a limit_conn of 65,536 or more ("connection limit must be less 65536").
    private const int MostConnections = 65_535;

    private static readonly (string Key, string Variable, int Most)[] Limits =
    [
        ("FooBar:Nginx:ClientConnections", "NGINX_CLIENT_CONNECTIONS", MostConnections),
        ("FooBar:Nginx:ClientRate", "NGINX_CLIENT_RATE", int.MaxValue),
        ("FooBar:Nginx:ClientBurst", "NGINX_CLIENT_BURST", int.MaxValue),
    ];

    public static NginxClientLimits From(IConfiguration configuration)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (key, variable, most) in Limits)
        {
            if (configuration[key] is not { } text)
            {
                continue;
            }
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
            {
                throw new InvalidOperationException($"{key} is '{text}'; it must be a whole number above 0.");
            }
            if (value > most)
            {
                throw new InvalidOperationException($"{key} is '{text}'; nginx takes at most {most.ToString(CultureInfo.InvariantCulture)}.");
            }
            environment[variable] = value.ToString(CultureInfo.InvariantCulture);
        }
        return new NginxClientLimits(environment);
    }
}

internal static class NginxClientLimitsExtensions
{
    /// <summary>Gives an nginx (a front door, or the published stack's container) the configured per-client limits.</summary>
    public static IResourceBuilder<T> WithClientLimits<T>(this IResourceBuilder<T> nginx, NginxClientLimits limits)
        where T : INginxResource
    {
        foreach (var (variable, value) in limits.Environment)
        {
            nginx.WithEnvironment(variable, value);
        }
        return nginx;
    }
}
