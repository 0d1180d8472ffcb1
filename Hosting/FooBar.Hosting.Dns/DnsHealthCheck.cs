using System.Net;
using Aspire.Hosting.ApplicationModel;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.Dns;

/// <summary>A real query over UDP, as a resolver asks: healthy when the server answers the zone's SOA with authority.</summary>
internal sealed class DnsHealthCheck(DnsServerResource server) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var endpoint = server.UdpEndpoint;
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy("The server has no address yet.");
        }
        try
        {
            var response = await Client(new IPEndPoint(IPAddress.Loopback, endpoint.Port))
                .QueryAsync(server.Zone.Name, QueryType.SOA, cancellationToken: cancellationToken);
            return !response.HasError && response.Header.HasAuthorityAnswer && response.Answers.SoaRecords().FirstOrDefault() is { } soa
                ? HealthCheckResult.Healthy($"{server.Zone.Name} serial {soa.Serial}")
                : HealthCheckResult.Unhealthy($"{server.Zone.Name} SOA: {response.Header.ResponseCode}, authoritative: {response.Header.HasAuthorityAnswer}");
        }
        catch (DnsResponseException ex)
        {
            return HealthCheckResult.Unhealthy($"No answer for {server.Zone.Name} SOA: {ex.Message}");
        }
    }

    /// <summary>A client that asks this server only, over UDP, with no cache and no retry: each answer is the server's now.</summary>
    internal static LookupClient Client(IPEndPoint server) => new(new LookupClientOptions(server)
    {
        UseCache = false,
        Recursion = false,
        Retries = 0,
        Timeout = TimeSpan.FromSeconds(2),
        UseTcpFallback = false,
        ThrowDnsErrors = false,
        ContinueOnDnsError = false,
        ContinueOnEmptyResponse = false,
    });
}
