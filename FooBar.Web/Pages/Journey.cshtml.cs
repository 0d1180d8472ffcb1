using System.Globalization;
using FooBar.Web.Data;
using FooBar.Web.Dns;
using FooBar.Web.Requests;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages;

/// <summary>
/// "How this page reached you": the request path's nine steps, filled in with this request's own data.
/// Every value comes from the request, the process or MySQL; what the server cannot know is said so.
/// </summary>
public class JourneyModel(ServerProbe probe, StackDns dns, IConfiguration configuration, IServer server) : PageModel
{
    public string Host { get; private set; } = "";
    public string Method { get; private set; } = "";
    public string Target { get; private set; } = "";
    public string Scheme { get; private set; } = "";
    public string? UserAgent { get; private set; }

    /// <summary>The peer nginx saw: the last X-Forwarded-For entry, the only one the app trusts.</summary>
    public string? ClientAddress { get; private set; }

    /// <summary>Entries the client itself put in X-Forwarded-For before nginx appended its own: unverified.</summary>
    public string? ClaimedForwardedFor { get; private set; }

    /// <summary>The nginx that answered (X-Front-Door, which nginx sets): nginx, or nginx-1 … nginx-N in high availability.</summary>
    public string? FrontDoor { get; private set; }

    public string? NginxRequestId { get; private set; }
    public DateTimeOffset? NginxReceivedAt { get; private set; }

    public string ServiceName { get; private set; } = "";
    public string? ServiceInstanceId { get; private set; }
    public string MachineName { get; } = Environment.MachineName;
    public int ProcessId { get; } = Environment.ProcessId;
    public string? AppAddress { get; private set; }
    public DateTimeOffset? AppReceivedAt { get; private set; }

    public ServerVisit Database { get; private set; } = null!;

    /// <summary>How the stack's DNS answers for the name asked for; null with no DNS server, or for an address asked for directly.</summary>
    public DnsLookup? Dns { get; private set; }

    /// <summary>The stack's DNS server, <c>address:port</c>, or null.</summary>
    public string? DnsServer => dns.Server?.ToString();

    public string? TraceId { get; private set; }
    public Uri? TraceUrl { get; private set; }

    /// <summary>From nginx receiving the request to this page being rendered (the same host's clock).</summary>
    public TimeSpan? ServerTime => NginxReceivedAt is { } received ? DateTimeOffset.UtcNow - received : null;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Host = Request.Host.Value ?? "";
        Method = Request.Method;
        Target = $"{Request.PathBase}{Request.Path}{Request.QueryString}";
        Scheme = Request.Scheme;
        UserAgent = Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null;

        // The forwarded-headers middleware has moved nginx's entry into RemoteIpAddress and left what came before it.
        ClientAddress = HttpContext.Connection.RemoteIpAddress?.ToString();
        ClaimedForwardedFor = Request.Headers["X-Forwarded-For"].ToString() is { Length: > 0 } claimed ? claimed : null;

        FrontDoor = Request.Headers["X-Front-Door"].ToString() is { Length: > 0 } door ? door : null;
        NginxRequestId = Request.Headers["X-Request-Id"].ToString() is { Length: > 0 } id ? id : null;
        NginxReceivedAt = ParseRequestStart(Request.Headers["X-Request-Start"].ToString());

        ServiceName = configuration["OTEL_SERVICE_NAME"] ?? typeof(JourneyModel).Assembly.GetName().Name!;
        ServiceInstanceId = ResourceAttribute(configuration["OTEL_RESOURCE_ATTRIBUTES"], "service.instance.id");
        // A connection with no IP address came in over the app's Unix socket, nginx's way in where it can use one.
        AppAddress = HttpContext.Connection.LocalIpAddress is { } address
            ? $"{address}:{HttpContext.Connection.LocalPort}"
            : UnixSockets.Listening(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []).FirstOrDefault() is { } socket
                ? $"unix:{socket}"
                : "(unknown)";

        // ASP.NET Core's server span starts when Kestrel hands over the request.
        var activity = HttpContext.Features.Get<IHttpActivityFeature>()?.Activity;
        AppReceivedAt = activity is null ? null : new DateTimeOffset(activity.StartTimeUtc, TimeSpan.Zero);
        TraceId = activity?.TraceId.ToHexString();
        TraceUrl = TraceId is null ? null : DashboardLink.ForTrace(configuration, TraceId);

        // The name without its port; an address (127.0.0.1) was never looked up.
        var name = Request.Host.Host;
        Dns = System.Net.IPAddress.TryParse(name, out _) ? null : await dns.LookUpAsync(name, cancellationToken);
        Database = await probe.VisitAsync(cancellationToken);
    }

    public static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    // nginx sends "t=<seconds since the epoch, with milliseconds>" ($msec).
    private static DateTimeOffset? ParseRequestStart(string header) =>
        header.StartsWith("t=", StringComparison.Ordinal)
        && decimal.TryParse(header.AsSpan(2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
            : null;

    // OTEL_RESOURCE_ATTRIBUTES is "key1=value1,key2=value2".
    private static string? ResourceAttribute(string? attributes, string key) =>
        attributes?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0] == key)
            .Select(pair => pair[1])
            .FirstOrDefault();
}
