using System.Net;
using FooBar.Hosting.Processes;

namespace FooBar.Hosting;

/// <summary>
/// A front door's figures on the dashboard, under the door's name: nginx listens on a loopback-only status address of
/// its own (<c>stub_status</c>, and its Lua counters' page, nginx/lua/metrics.lua); Debian's
/// <c>prometheus-nginx-exporter</c> reads stub_status, and the bridge carries the exporter's page and nginx's own to
/// the dashboard as OpenTelemetry metrics.
/// </summary>
public static class NginxMetricsExtensions
{
    // Debian's package (scripts/setup.sh installs it).
    internal const string ExporterProgram = "/usr/bin/prometheus-nginx-exporter";

    /// <summary>The variable the image's entrypoint renders the status listener from (nginx/status.conf.template).</summary>
    internal const string StatusListenVariable = "NGINX_STATUS_LISTEN";

    // Which status class a request was answered with: one series of nginx's page each.
    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    // The upper bounds of the upstream time's buckets, as nginx/lua/metrics.lua writes them.
    internal static readonly string[] UpstreamBuckets = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];

    /// <summary>The figures carried to the dashboard: the exporter's from stub_status, then nginx's own.</summary>
    internal static readonly IReadOnlyList<BridgedMetric> Metrics =
    [
        BridgedMetric.Gauge("nginx.up", "{server}", "1 while the exporter reaches nginx's stub_status", "nginx_up"),
        BridgedMetric.Gauge("nginx.connections.active", "{connection}", "Client connections open now, waiting ones included", "nginx_connections_active"),
        BridgedMetric.Gauge("nginx.connections.reading", "{connection}", "Connections whose request nginx is reading", "nginx_connections_reading"),
        BridgedMetric.Gauge("nginx.connections.writing", "{connection}", "Connections nginx is answering", "nginx_connections_writing"),
        BridgedMetric.Gauge("nginx.connections.waiting", "{connection}", "Idle keep-alive connections", "nginx_connections_waiting"),
        BridgedMetric.Counter("nginx.connections.accepted", "{connection}", "Client connections accepted", "nginx_connections_accepted"),
        BridgedMetric.Counter("nginx.connections.handled", "{connection}", "Client connections handled (fewer than accepted: a limit was reached)", "nginx_connections_handled"),
        BridgedMetric.Counter("nginx.requests", "{request}", "Client requests, probes and scrapes included (stub_status)", "nginx_http_requests_total"),
        .. StatusClasses.Select(status => BridgedMetric.Counter("nginx.http.responses", "{response}", "Requests answered, by status class (probes and scrapes not counted)",
            $"foobar_nginx_requests_total{{status_class=\"{status}\"}}").WithTag("status_class", status)),
        .. UpstreamBuckets.Select(bound => BridgedMetric.Counter("nginx.upstream.response_time.bucket", "{response}", "Upstream answers that took at most le seconds",
            $"foobar_nginx_upstream_response_seconds_bucket{{le=\"{bound}\"}}").WithTag("le", bound)),
        BridgedMetric.Counter("nginx.upstream.response_time.sum", "s", "Seconds the upstream took, all answers together", "foobar_nginx_upstream_response_seconds_sum"),
        BridgedMetric.Counter("nginx.upstream.response_time.count", "{response}", "Upstream answers timed", "foobar_nginx_upstream_response_seconds_count"),
        BridgedMetric.Counter("nginx.spans.exported", "{span}", "Spans nginx's trace exporter sent to the dashboard", "foobar_nginx_spans_exported_total"),
        .. new[] { "queue_full", "export_failed" }.Select(reason => BridgedMetric.Counter("nginx.spans.dropped", "{span}", "Spans nginx's trace exporter dropped, by reason",
            $"foobar_nginx_spans_dropped_total{{reason=\"{reason}\"}}").WithTag("reason", reason)),
    ];

    /// <summary>
    /// Shows the front door's figures on the dashboard under its name: connections and requests (stub_status, read by an
    /// exporter <c>{name}-exporter</c>), requests by status class, the upstream's response time in buckets and the trace
    /// exporter's spans sent and dropped (nginx's own counters). nginx serves them on a loopback address of its own, a
    /// port chosen here; nothing is published. Run mode only; a door only (a container's loopback is not the host's).
    /// </summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<T> WithMetricsExporter<T>(this IResourceBuilder<T> builder)
        where T : INginxResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        // A published stack has no AppHost to read the pages.
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return builder;
        }
        if (builder.Resource is not NginxFrontDoorResource door)
        {
            throw new NotSupportedException($"{builder.Resource.Name} is a container: its figures are for a front door (AddNginxInstances), in the host's network.");
        }
        var status = FreePorts.OnAll([IPAddress.Loopback]);
        var page = FreePorts.OnAll([IPAddress.Loopback]);
        var statusAddress = $"127.0.0.1:{status}";
        builder.WithEnvironment(StatusListenVariable, statusAddress);
        builder.ApplicationBuilder.AddExecutable($"{door.Name}-exporter", ExporterProgram, "/",
                $"-nginx.scrape-uri=http://{statusAddress}/stub_status",
                $"-web.listen-address=127.0.0.1:{page}",
                // The exporter gives up at its start if nginx does not answer: it starts once the door answers, and
                // tries for a while if the door was restarted meanwhile.
                "-nginx.retries=30", "-nginx.retry-interval=1s")
            .WaitFor(builder.ApplicationBuilder.CreateResourceBuilder(door))
            .WithParentRelationship(door)
            .ExcludeFromManifest()
            .WithPrometheusBridge(door, [$"http://127.0.0.1:{page}/metrics", $"http://{statusAddress}/metrics"], Metrics);
        return builder;
    }
}
