using System.Text;

namespace FooBar.Hosting;

/// <summary>
/// One of nginx's upstreams (an <c>upstream</c> block of its configuration): the application servers it balances
/// across, written as <c>server</c> lines to a file on the host that the block includes. The AppHost owns the list,
/// so it can take a server out of rotation (<c>down</c>) and put it back while nginx keeps running.
/// </summary>
public sealed class NginxUpstream : IResourceAnnotation
{
    private readonly List<Server> _servers = [];

    internal NginxUpstream(string name, string serversFile, string endpointName)
    {
        Name = name;
        ServersFile = serversFile;
        EndpointName = endpointName;
    }

    /// <summary>The upstream block's name, as the templates use it (<c>proxy_pass http://web</c>).</summary>
    public string Name { get; }

    /// <summary>The servers' endpoint that nginx sends requests to.</summary>
    public string EndpointName { get; }

    /// <summary>The file of <c>server</c> lines on the host, bind-mounted into the nginx container.</summary>
    public string ServersFile { get; }

    /// <summary>The application servers, in the order nginx lists them.</summary>
    public IReadOnlyList<IResource> Servers => _servers.Select(s => s.Resource).ToList();

    internal void Add(IResource resource, Func<CancellationToken, ValueTask<string?>> address) => _servers.Add(new(resource, address));

    /// <summary>
    /// Writes the <c>server</c> lines, <paramref name="down"/> marked so that nginx sends it nothing after its next
    /// reload. Each server has nginx's passive health check (<see cref="ServerLine"/>), and a request that one could
    /// not take goes on to the next server if it can.
    /// </summary>
    public async Task WriteAsync(IResource? down, CancellationToken cancellationToken)
    {
        var lines = new StringBuilder($"# {Name}'s servers, written by the AppHost (NginxUpstream); a rolling restart marks one down.\n");
        foreach (var server in _servers)
        {
            var address = await server.Address(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{server.Resource.Name} has no address for nginx yet.");
            lines.Append(ServerLine(address, down: server.Resource == down));
        }

        // Replaced in one step, so a reload never reads half a file.
        var written = ServersFile + ".new";
        await File.WriteAllTextAsync(written, lines.ToString(), cancellationToken).ConfigureAwait(false);
        File.Move(written, ServersFile, overwrite: true);
    }

    /// <summary>
    /// One <c>server</c> line, with nginx's passive health check: 5 failed attempts (refused connections, errors,
    /// time-outs) within 10 s take the server out of rotation for 10 s. A stopped instance refuses 5 within
    /// milliseconds; a busy one's occasional time-out does not move its load onto the others. The one place these
    /// options are written.
    /// </summary>
    internal static string ServerLine(string address, bool down = false) =>
        $"server {address} max_fails=5 fail_timeout=10s{(down ? " down" : "")};\n";

    private sealed record Server(IResource Resource, Func<CancellationToken, ValueTask<string?>> Address);
}
