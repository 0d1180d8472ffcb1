using System.Net;
using System.Text.RegularExpressions;
using FooBar.Hosting.Processes;

namespace FooBar.Tests.Infrastructure;

/// <summary>How a connection attempt from <see cref="OtherMachine"/> ended.</summary>
public enum ConnectOutcome { Connected, Refused, TimedOut, Unreachable, Failed }

/// <summary>
/// Another machine, as far as this host's network stack can tell: a network namespace of the test's own, linked to
/// this host by a veth pair on a private /30 that nothing on this machine uses, with only the routes the test gives it.
/// Disposing removes the namespace and both veth ends, and throws if either is still there.
/// </summary>
public sealed partial class OtherMachine : IAsyncDisposable
{
    // Short enough never to hang a test; long enough for a SYN to be answered on this host.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    private readonly string _hostLink;
    private readonly string _machineLink;

    private OtherMachine(string id, IPAddress hostAddress, IPAddress address)
    {
        Namespace = $"foobar-test-{id}";
        // Interface names hold at most 15 characters.
        _hostLink = $"fbt{id}h";
        _machineLink = $"fbt{id}m";
        HostAddress = hostAddress;
        Address = address;
    }

    /// <summary>The network namespace's name, as <c>ip netns</c> lists it.</summary>
    public string Namespace { get; }

    /// <summary>This host's end of the link: the address the other machine routes through.</summary>
    public IPAddress HostAddress { get; }

    /// <summary>The other machine's own address.</summary>
    public IPAddress Address { get; }

    /// <summary>Creates the machine and gives it a route to each of <paramref name="subnets"/> (such as 172.18.0.0/16) through this host.</summary>
    public static async Task<OtherMachine> CreateAsync(params string[] subnets)
    {
        await RequireRootAndIpAsync();
        var (hostAddress, address) = await FreeLinkAddressesAsync();
        var machine = new OtherMachine(Guid.NewGuid().ToString("N")[..8], hostAddress, address);
        try
        {
            await IpAsync("netns", "add", machine.Namespace);
            await IpAsync("link", "add", machine._hostLink, "type", "veth", "peer", "name", machine._machineLink);
            await IpAsync("link", "set", machine._machineLink, "netns", machine.Namespace);
            await IpAsync("addr", "add", $"{hostAddress}/30", "dev", machine._hostLink);
            await IpAsync("link", "set", machine._hostLink, "up");
            await IpAsync("-n", machine.Namespace, "addr", "add", $"{address}/30", "dev", machine._machineLink);
            await IpAsync("-n", machine.Namespace, "link", "set", machine._machineLink, "up");
            foreach (var subnet in subnets)
            {
                await IpAsync("-n", machine.Namespace, "route", "add", subnet, "via", hostAddress.ToString());
            }
        }
        catch
        {
            await machine.DisposeAsync();
            throw;
        }
        return machine;
    }

    /// <summary>
    /// Opens a TCP connection from inside the machine to <paramref name="address"/>:<paramref name="port"/>, reads for up to a
    /// second what the server says first (for the report: MySQL greets, or names the host it refuses), and closes it;
    /// nothing is sent.
    /// </summary>
    public async Task<(ConnectOutcome Outcome, string Detail)> TryConnectAsync(IPAddress address, int port)
    {
        // bash's /dev/tcp, bounded by timeout(1); the address and port are arguments, not script.
        const string probe = """exec 3<>"/dev/tcp/$1/$2" || exit 1; timeout 1 head -c 160 <&3 | tr -c '[:print:]' '.'; exit 0""";
        var result = await HostProgram.RunAsync("ip",
            ["netns", "exec", Namespace, "timeout", ConnectTimeout.TotalSeconds.ToString("0"), "bash", "-c", probe, "probe", address.ToString(), port.ToString()],
            CancellationToken.None, ConnectTimeout + TimeSpan.FromSeconds(10));
        var outcome = result.ExitCode switch
        {
            0 => ConnectOutcome.Connected,
            124 => ConnectOutcome.TimedOut,
            _ when result.Output.Contains("refused", StringComparison.OrdinalIgnoreCase) => ConnectOutcome.Refused,
            _ when result.Output.Contains("unreachable", StringComparison.OrdinalIgnoreCase)
                || result.Output.Contains("No route", StringComparison.OrdinalIgnoreCase) => ConnectOutcome.Unreachable,
            _ => ConnectOutcome.Failed,
        };
        return (outcome, $"{address}:{port} from {Namespace}: {outcome} (exit {result.ExitCode}) {result.Output.Trim()}");
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace deletes the veth end inside it, and with it the pair; the host end goes by itself
        // then, or explicitly if creation stopped before the move.
        await HostProgram.RunAsync("ip", ["netns", "delete", Namespace], CancellationToken.None);
        await HostProgram.RunAsync("ip", ["link", "delete", _hostLink], CancellationToken.None);

        var namespaces = await HostProgram.RunAsync("ip", ["netns", "list"], CancellationToken.None);
        var hostLink = await HostProgram.RunAsync("ip", ["link", "show", _hostLink], CancellationToken.None);
        if (namespaces.Output.Split('\n').Any(line => line.Split(' ')[0] == Namespace) || hostLink.Succeeded)
        {
            throw new InvalidOperationException(
                $"The test's namespace {Namespace} or its link {_hostLink} is still there after clean-up: remove them with " +
                $"`ip netns delete {Namespace}; ip link delete {_hostLink}`.");
        }
    }

    private static async Task RequireRootAndIpAsync()
    {
        var ip = await HostProgram.RunAsync("ip", ["-V"], CancellationToken.None);
        if (!ip.Succeeded)
        {
            throw new InvalidOperationException(
                $"This test acts as another machine through a network namespace and needs the ip command (iproute2), which is missing: {ip.Output.Trim()}");
        }
        var user = await HostProgram.RunAsync("id", ["-u"], CancellationToken.None);
        if (user.Output.Trim() != "0")
        {
            throw new InvalidOperationException(
                $"This test acts as another machine through a network namespace and a veth pair, which only root may create; it runs as uid {user.Output.Trim()}. Run the tests as root.");
        }
    }

    // A /30 in 10.254.0.0/16 that overlaps no address, route or network this machine has now.
    private static async Task<(IPAddress Host, IPAddress Machine)> FreeLinkAddressesAsync()
    {
        var addresses = await HostProgram.RunAsync("ip", ["-4", "-o", "addr", "show"], CancellationToken.None);
        var routes = await HostProgram.RunAsync("ip", ["-4", "route", "show", "table", "all"], CancellationToken.None);
        if (!addresses.Succeeded || !routes.Succeeded)
        {
            throw new InvalidOperationException($"This machine's addresses and routes could not be read: {addresses.Output}{routes.Output}");
        }
        var inUse = Ipv4Network().Matches(addresses.Output + routes.Output)
            .Select(m => (Address: IPAddress.Parse(m.Groups[1].Value), Prefix: m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 32))
            .ToList();

        for (var attempt = 0; attempt < 50; attempt++)
        {
            var candidate = IPAddress.Parse($"10.254.{Random.Shared.Next(256)}.{Random.Shared.Next(64) * 4}");
            if (!inUse.Any(used => Ipv4.Overlap(used.Address, used.Prefix, candidate, 30)))
            {
                var first = Ipv4.ToNumber(candidate);
                return (Ipv4.FromNumber(first + 1), Ipv4.FromNumber(first + 2));
            }
        }
        throw new InvalidOperationException("No free /30 was found in 10.254.0.0/16 for the test's link.");
    }

    private static async Task IpAsync(params string[] arguments)
    {
        var result = await HostProgram.RunAsync("ip", arguments, CancellationToken.None);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"`ip {string.Join(' ', arguments)}` failed: {result.Output.Trim()}");
        }
    }

    [GeneratedRegex(@"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:/(\d{1,2}))?\b")]
    private static partial Regex Ipv4Network();
}
