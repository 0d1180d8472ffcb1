using System.Diagnostics;
using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace FooBar.Web.Dns;

/// <summary>
/// Asks the stack's own DNS server (connection string <c>dns</c>, <c>address:port</c>, given by the AppHost) how a name
/// resolves, as a visitor's resolver would: the answer's records in order (the CNAME, then the A records) with their TTLs.
/// </summary>
public sealed class StackDns
{
    private readonly LookupClient? _client;

    public StackDns(IConfiguration configuration)
    {
        if (configuration.GetConnectionString("dns") is { Length: > 0 } server && IPEndPoint.TryParse(server, out var endpoint))
        {
            Server = endpoint;
            // Every lookup asks the server now: no cache, so the page shows the zone as it is.
            _client = new LookupClient(new LookupClientOptions(endpoint)
            {
                UseCache = false,
                Recursion = false,
                Retries = 1,
                Timeout = TimeSpan.FromSeconds(1),
                ThrowDnsErrors = false,
            });
        }
    }

    /// <summary>The server asked, or null when the app runs without one.</summary>
    public IPEndPoint? Server { get; }

    /// <summary>The A query for <paramref name="name"/> and what it returned; null when there is no server to ask.</summary>
    public async Task<DnsLookup?> LookUpAsync(string name, CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await _client.QueryAsync(name, QueryType.A, cancellationToken: cancellationToken);
            var records = response.Answers.Select(record => record switch
            {
                CNameRecord alias => new DnsAnswer(alias.DomainName.Value, "CNAME", alias.InitialTimeToLive, alias.CanonicalName.Value),
                ARecord address => new DnsAnswer(address.DomainName.Value, "A", address.InitialTimeToLive, address.Address.ToString()),
                _ => new DnsAnswer(record.DomainName.Value, record.RecordType.ToString(), record.InitialTimeToLive, record.ToString()),
            }).ToList();
            return new DnsLookup(name, response.Header.ResponseCode.ToString(), response.Header.HasAuthorityAnswer, records,
                Stopwatch.GetElapsedTime(started), Error: null);
        }
        catch (DnsResponseException ex)
        {
            return new DnsLookup(name, "", false, [], Stopwatch.GetElapsedTime(started), ex.Message);
        }
    }
}

/// <summary>One lookup: its response code, whether the answer was authoritative, its records, how long it took.</summary>
public sealed record DnsLookup(string Name, string ResponseCode, bool Authoritative, IReadOnlyList<DnsAnswer> Answers, TimeSpan Time, string? Error);

/// <summary>One record of an answer, with the TTL the server gave it (seconds).</summary>
public sealed record DnsAnswer(string Name, string Type, int TimeToLive, string Data);
