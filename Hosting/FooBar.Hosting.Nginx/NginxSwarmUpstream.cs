using System.Text;
using FooBar.Hosting.Swarm;

namespace FooBar.Hosting.Nginx;

/// <summary>
/// nginx's part of a Swarm stack: each upstream names its services' tasks by Swarm's DNS name (<c>tasks.&lt;service&gt;</c>)
/// in a config beside the file its templates include; the nginx image's follow-upstreams writes that file with the tasks'
/// addresses, and again, with a reload, whenever they change (Debian's nginx 1.22 cannot re-resolve an upstream's names itself).
/// Each server is told to trust forwarded headers from the stack's network, which nginx reaches it over (not loopback).
/// </summary>
internal static class NginxSwarmUpstream
{
    /// <summary>The file, beside an upstream's servers.conf, that names its servers by DNS name (nginx/follow-upstreams.sh reads it).</summary>
    public const string NamesFile = "servers.dns.conf";

    /// <summary>The app's setting of the networks whose peers' X-Forwarded-* headers it reads (FooBar.Web's Program.cs).</summary>
    public const string KnownNetworksVariable = "ForwardedHeaders__KnownNetworks";

    /// <summary>Aspire's publish default for a project, which makes ASP.NET Core read X-Forwarded-* from any peer.</summary>
    public const string TrustEveryPeerVariable = "ASPNETCORE_FORWARDEDHEADERS_ENABLED";

    /// <summary>Adds <paramref name="upstream"/>'s names file, mounted in <paramref name="folder"/>, to nginx's service.</summary>
    public static void Contribute(SwarmServiceContext context, NginxUpstream upstream, string folder)
    {
        var lines = new StringBuilder($"# {upstream.Name}'s servers in the swarm, written by the AppHost: every task of each service, by Swarm's DNS name.\n");
        foreach (var address in upstream.Servers.Select(s => $"tasks.{context.ServiceName(s)}:{context.ContainerPort(s, upstream.EndpointName)}").Distinct())
        {
            lines.Append(NginxUpstream.ServerLine(address));
        }
        context.AddConfig($"{context.Resource.Name}-{upstream.Name}-servers", lines.ToString(), $"{folder}/{NamesFile}");
        foreach (var server in upstream.Servers)
        {
            var service = context.ServiceOf(server);
            service.Environment[KnownNetworksVariable] = context.NetworkSubnet;
            // Otherwise a client's own X-Forwarded-For passes for its address (the host's middleware runs first and trusts anyone).
            service.Environment.Remove(TrustEveryPeerVariable);
        }
    }
}
