using System.Globalization;
using System.Net;
using System.Text;

namespace FooBar.Hosting;

/// <summary>
/// A DNS zone written by the AppHost from the model: SOA and NS, the apex's A records (the address of every resource
/// visitors reach, each an endpoint marked external), and aliases (CNAMEs to the apex). The file is on the host,
/// bind-mounted read-only into the server's container; each write has a new serial, so a reload is seen as a change.
/// </summary>
public sealed class DnsZone
{
    /// <summary>SOA and NS: they change only with the server itself.</summary>
    public static readonly TimeSpan InfrastructureTtl = TimeSpan.FromHours(1);
    /// <summary>A and CNAME: a resolver sees a change of front doors within this time.</summary>
    public static readonly TimeSpan AddressTtl = TimeSpan.FromMinutes(5);
    /// <summary>How long a resolver keeps "no such name" (the SOA's minimum).</summary>
    public static readonly TimeSpan NegativeTtl = TimeSpan.FromMinutes(1);

    private readonly IResourceCollection _model;
    private readonly List<string> _aliases = [];
    private readonly Lock _serialLock = new();
    private uint _lastSerial;

    internal DnsZone(string name, string folder, IResourceCollection model)
    {
        Name = name.TrimEnd('.').ToLowerInvariant();
        Folder = folder;
        _model = model;
    }

    /// <summary>The zone's name, such as <c>foobar.com</c>.</summary>
    public string Name { get; }

    /// <summary>The folder on the host that holds the zone file and the server's list of zones.</summary>
    public string Folder { get; }

    /// <summary>The zone file, <c>&lt;name&gt;.zone</c>.</summary>
    public string ZoneFile => Path.Combine(Folder, $"{Name}.zone");

    /// <summary>The names that are CNAMEs for the apex (<c>www</c>), relative to the zone.</summary>
    public IReadOnlyList<string> Aliases => _aliases;

    /// <summary>The name server's own address (its <c>ns</c> A record), set by the server's endpoint.</summary>
    internal string NameServerAddress { get; set; } = "127.0.0.1";

    internal void AddAlias(string label) => _aliases.Add(label);

    /// <summary>
    /// The apex's A records: each resource with an external endpoint (the front door, or each of several), and the
    /// address it listens on. Several resources on one address (front doors sharing a port) are one record.
    /// </summary>
    public IReadOnlyList<(string Address, IReadOnlyList<string> Resources)> ApexAddresses() =>
        _model.Where(r => r is IResourceWithEndpoints)
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Where(e => e.IsExternal).Take(1).Select(e => (Address: Ipv4(e.TargetHost), Resource: r.Name)))
            .GroupBy(a => a.Address)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.Select(a => a.Resource).ToList()))
            .ToList();

    /// <summary>The zone file's text with <paramref name="serial"/>.</summary>
    public string Render(uint serial) => Render(serial, ApexAddresses(), NameServerAddress);

    /// <summary>The zone file's text with <paramref name="serial"/>, the apex's A records <paramref name="apex"/> and the name server at <paramref name="nameServer"/>.</summary>
    internal string Render(uint serial, IReadOnlyList<(string Address, IReadOnlyList<string> Resources)> apex, string nameServer)
    {
        var ttl = (TimeSpan t) => ((int)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder($"; {Name}, written by the AppHost (DnsZone) from the model; serial {serial}.\n")
            .Append($"$ORIGIN {Name}.\n")
            .Append($"$TTL {ttl(AddressTtl)}\n")
            // refresh, retry, expire (for secondaries, of which there are none), negative TTL.
            .Append($"@\t{ttl(InfrastructureTtl)}\tIN\tSOA\tns.{Name}. hostmaster.{Name}. ( {serial} 3600 600 604800 {ttl(NegativeTtl)} )\n")
            .Append($"@\t{ttl(InfrastructureTtl)}\tIN\tNS\tns.{Name}.\n")
            .Append($"ns\t{ttl(InfrastructureTtl)}\tIN\tA\t{nameServer}\n");
        foreach (var (address, resources) in apex)
        {
            text.Append($"; {string.Join(", ", resources)}\n@\t{ttl(AddressTtl)}\tIN\tA\t{address}\n");
        }
        foreach (var alias in _aliases)
        {
            text.Append($"{alias}\t{ttl(AddressTtl)}\tIN\tCNAME\t{Name}.\n");
        }
        return text.ToString();
    }

    /// <summary>The list of zones NSD includes (<c>zones.conf</c>): this one, from its file beside the list.</summary>
    internal string ZoneList => $"zone:\n    name: \"{Name}\"\n    zonefile: \"{Name}.zone\"\n";

    /// <summary>
    /// Writes the zone with a new serial (the time of writing in seconds since 1970, always above the last one) and
    /// the server's list of zones; each replaced in one step, so a reload never reads half a file.
    /// </summary>
    /// <returns>The serial written.</returns>
    public async Task<uint> WriteAsync(CancellationToken cancellationToken)
    {
        uint serial;
        lock (_serialLock)
        {
            serial = _lastSerial = Math.Max((uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _lastSerial + 1);
        }
        await ReplaceAsync(Path.Combine(Folder, "zones.conf"), ZoneList, cancellationToken);
        await ReplaceAsync(ZoneFile, Render(serial), cancellationToken);
        return serial;
    }

    private static async Task ReplaceAsync(string path, string text, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path + ".new", text, cancellationToken).ConfigureAwait(false);
        File.Move(path + ".new", path, overwrite: true);
    }

    // An endpoint's host as an A record's address: "localhost", or every address (0.0.0.0), is reached on loopback here.
    private static string Ipv4(string host) =>
        IPAddress.TryParse(host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !address.Equals(IPAddress.Any)
            ? address.ToString()
            : IPAddress.Loopback.ToString();
}
