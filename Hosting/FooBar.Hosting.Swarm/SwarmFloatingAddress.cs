using System.Net;

namespace FooBar.Hosting;

/// <summary>
/// The site's one address in a swarm: keepalived on every node (VRRP) gives it to one node whose front door answers,
/// and moves it to another within a second when that node or its front door fails. The address is on the nodes'
/// own network, so that every node can take it; the zone's A record is this one address.
/// </summary>
/// <param name="cidr">The address and its network's prefix length, as the nodes' interface has it (<c>172.20.255.250/16</c>).</param>
/// <param name="frontDoor">The front door whose health decides whether a node may hold the address.</param>
/// <param name="recipeFolder">The image's recipe (images/floating-address): keepalived from Debian and its start script.</param>
public sealed class SwarmFloatingAddress(string cidr, IResource frontDoor, string recipeFolder)
{
    /// <summary>The address with its prefix length.</summary>
    public string Cidr { get; } = cidr.Split('/') is [var address, var prefix]
        && IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        && int.TryParse(prefix, out var bits) && bits is >= 8 and <= 32
            ? cidr
            : throw new ArgumentException($"'{cidr}' is no IPv4 address with a prefix length, such as 172.20.255.250/16.", nameof(cidr));

    /// <summary>The address alone, which visitors use.</summary>
    public string Address => Cidr.Split('/')[0];

    /// <summary>The front door whose health decides whether a node may hold the address.</summary>
    public IResource FrontDoor { get; } = frontDoor ?? throw new ArgumentNullException(nameof(frontDoor));

    /// <summary>The image's recipe folder.</summary>
    public string RecipeFolder { get; } = recipeFolder;
}
