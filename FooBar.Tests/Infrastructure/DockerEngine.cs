using System.Net;
using FooBar.Hosting.Processes;

namespace FooBar.Tests.Infrastructure;

/// <summary>The stack runs in containers: without a Docker engine the run fails, loudly, before anything starts.</summary>
public static class DockerEngine
{
    public static async Task RequireAsync()
    {
        var (exitCode, output) = await DockerCli.RunAsync(["info", "--format", "{{.ServerVersion}}"], CancellationToken.None);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                "No Docker engine answers `docker info`, and the FooBar stack runs in containers. " +
                "Run the tests with scripts/test.sh, which installs and starts one, or start Docker yourself. " +
                $"docker said: {output.Trim()}");
        }
    }

    /// <summary>Runs the Docker CLI and returns what it printed; when it fails, the exception names the command and quotes docker.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var (exitCode, output) = await DockerCli.RunAsync(arguments, CancellationToken.None);
        return exitCode == 0 ? output : throw new InvalidOperationException($"`docker {string.Join(' ', arguments)}` failed: {output.Trim()}");
    }

    public static Task RemoveVolumeAsync(string name) => RunAsync("volume", "rm", "--force", name);

    /// <summary>
    /// Removes a volume once no container uses it: DCP may still be removing a container that a stop and start (or a kill
    /// and start) replaced when it reports its clean-up done.
    /// </summary>
    public static Task RemoveVolumeWhenFreeAsync(string name) =>
        Poll.UntilAsync(async () => (await DockerCli.RunAsync(["volume", "rm", "--force", name], CancellationToken.None)).ExitCode == 0,
            $"the volume {name} removed", TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1));

    /// <summary>Sends SIGKILL to a container, as a crash or a power cut would end it: no clean shutdown.</summary>
    public static Task KillContainerAsync(string container) => RunAsync("kill", container);

    /// <summary>
    /// Runs <paramref name="command"/> in a running container; <paramref name="environment"/> is passed in through the CLI's
    /// own environment (<c>-e NAME</c>), so secrets stay out of command lines.
    /// </summary>
    internal static Task<ProgramResult> ExecAsync(string container, IEnumerable<string> command, IReadOnlyDictionary<string, string>? environment = null) =>
        DockerCli.RunAsync(
            ["exec", .. (environment ?? new Dictionary<string, string>()).Keys.SelectMany(name => new[] { "-e", name }), container, .. command],
            CancellationToken.None, environment: environment);

    /// <summary>The container's address on each of its networks, with the network's prefix length and gateway.</summary>
    public static async Task<IReadOnlyList<ContainerNetworkAddress>> NetworkAddressesAsync(string container)
    {
        var output = await RunAsync("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.IPPrefixLen}} {{.Gateway}}\n{{end}}", container);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length == 3 && fields[0].Length > 0)
            .Select(fields => new ContainerNetworkAddress(IPAddress.Parse(fields[0]), int.Parse(fields[1]), IPAddress.Parse(fields[2])))
            .ToList();
    }
}

/// <summary>A container's address on one Docker network, that network's prefix length and its gateway (this host's side).</summary>
public sealed record ContainerNetworkAddress(IPAddress Address, int PrefixLength, IPAddress Gateway)
{
    /// <summary>The network, as ip(8) writes it: 172.18.0.0/16.</summary>
    public string Subnet => $"{Ipv4.Network(Address, PrefixLength)}/{PrefixLength}";
}
