using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// nginx's per-client limits, from configuration keys <c>FooBar:Nginx:ClientConnections</c> (connections at once),
/// <c>FooBar:Nginx:ClientRate</c> (requests a second to the app) and <c>FooBar:Nginx:ClientBurst</c> (requests above
/// that rate answered at once), passed to nginx as <c>NGINX_CLIENT_*</c>. Each one not configured keeps the image's
/// default (nginx/docker-entrypoint.sh: 32, 1,000 and 2,000); a value of 0 or below, or not a whole number, stops
/// the AppHost at start with the key's name.
/// </summary>
internal sealed record NginxClientLimits(IReadOnlyDictionary<string, string> Environment)
{
    private static readonly (string Key, string Variable)[] Limits =
    [
        ("FooBar:Nginx:ClientConnections", "NGINX_CLIENT_CONNECTIONS"),
        ("FooBar:Nginx:ClientRate", "NGINX_CLIENT_RATE"),
        ("FooBar:Nginx:ClientBurst", "NGINX_CLIENT_BURST"),
    ];

    public static NginxClientLimits From(IConfiguration configuration)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (key, variable) in Limits)
        {
            if (configuration[key] is not { } text)
            {
                continue;
            }
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
            {
                throw new InvalidOperationException($"{key} is '{text}'; it must be a whole number above 0.");
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
