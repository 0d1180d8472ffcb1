using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace FooBar.Hosting.Processes;

/// <summary>
/// One figure carried from a Prometheus exporter's page to OTLP: an instrument's name, unit and description, whether
/// it is a running total (a counter) or a level (a gauge), and how to read it from one scrape's series. Figures that
/// share a name are one instrument, each with its own <see cref="Tags"/> (requests by status class, a histogram's buckets).
/// </summary>
internal sealed record BridgedMetric(string Name, string Unit, string Description, bool IsCounter, Func<IReadOnlyDictionary<string, double>, double?> Read)
{
    /// <summary>The attributes this figure's measurement carries, e.g. <c>status_class=5xx</c>; none by default.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Tags { get; init; } = [];

    /// <summary>This figure with one attribute more.</summary>
    public BridgedMetric WithTag(string name, string value) => this with { Tags = [.. Tags, new(name, value)] };

    /// <summary>A level read from one series, e.g. <c>mysql_global_status_threads_running</c>.</summary>
    public static BridgedMetric Gauge(string name, string unit, string description, string series) =>
        new(name, unit, description, false, scrape => scrape.TryGetValue(series, out var value) ? value : null);

    /// <summary>A running total read from one series.</summary>
    public static BridgedMetric Counter(string name, string unit, string description, string series) =>
        new(name, unit, description, true, scrape => scrape.TryGetValue(series, out var value) ? value : null);
}

/// <summary>
/// Carries a Prometheus exporter's figures to the dashboard as OpenTelemetry metrics, under the resource the exporter
/// watches, for there is no OpenTelemetry Collector among the packages here: while the exporter runs, its page is read
/// every few seconds and the chosen figures exported over OTLP with the watched resource's <c>service.name</c> and
/// <c>service.instance.id</c>, to the endpoint Aspire gives the exporter (<c>WithOtlpExporter</c>). The exporter's own
/// properties on the dashboard say how many exports the dashboard took and the figures of the last one.
/// </summary>
internal static class PrometheusBridge
{
    /// <summary>How often the exporter's page is read and the figures exported.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The property that counts the exports the dashboard took, and the one with the last one's figures.</summary>
    internal const string ExportsProperty = "metrics.exports";
    internal const string LastExportProperty = "metrics.last";
    /// <summary>The property that names the service (and instance) the figures are filed under.</summary>
    internal const string ServiceProperty = "metrics.service";

    /// <summary>
    /// In run mode, carries <paramref name="metrics"/> from the pages at <paramref name="pageUrls"/> (the exporter's, and
    /// any the watched resource serves itself; their series merged) to OTLP as <paramref name="watched"/>'s, through
    /// <paramref name="exporter"/>'s OTLP settings.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> WithPrometheusBridge(this IResourceBuilder<ExecutableResource> exporter,
        IResource watched, IReadOnlyList<string> pageUrls, IReadOnlyList<BridgedMetric> metrics)
    {
        var pages = pageUrls.Select(url => new Uri(url)).ToList();
        // What the bridge reads its OTLP endpoint and key from: the settings Aspire gives this resource.
        exporter.WithOtlpExporter();
        exporter.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var services = @event.Services;
            var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => RunAsync(exporter.Resource, watched, pages, metrics, services, stopping), stopping);
            return Task.CompletedTask;
        });
        return exporter;
    }

    private static async Task RunAsync(ExecutableResource exporter, IResource watched, IReadOnlyList<Uri> pages, IReadOnlyList<BridgedMetric> metrics,
        IServiceProvider services, CancellationToken stopping)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(exporter);
        try
        {
            var running = await notifications.WaitForResourceAsync(exporter.Name,
                e => e.Snapshot.State?.Text == KnownResourceStates.Running && Variable(e.Snapshot, "OTEL_EXPORTER_OTLP_ENDPOINT") is not null, stopping);
            // The dashboard files telemetry under the name and instance Aspire gave the watched resource's container.
            var instance = notifications.TryGetCurrentState(watched.Name, out var state) ? state.ResourceId : watched.Name;
            var endpoint = Variable(running.Snapshot, "OTEL_EXPORTER_OTLP_ENDPOINT")!;
            // gRPC takes the endpoint as it is; OTLP/HTTP takes each signal at its own path.
            var grpc = Variable(running.Snapshot, "OTEL_EXPORTER_OTLP_PROTOCOL") is null or "grpc";
            var options = new OtlpExporterOptions
            {
                Endpoint = new Uri(grpc ? endpoint : $"{endpoint.TrimEnd('/')}/v1/metrics"),
                Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf,
                Headers = Variable(running.Snapshot, "OTEL_EXPORTER_OTLP_HEADERS"),
            };

            IReadOnlyDictionary<string, double>? scrape = null;
            // Named by the watched resource's instance: a meter provider takes every meter of its name in the process, and
            // AppHosts run side by side in one process (the tests) each have an nginx and a mysql.
            using var meter = new Meter($"FooBar.Bridge.{instance}");
            foreach (var instrument in metrics.GroupBy(m => m.Name))
            {
                var figures = instrument.ToList();
                IEnumerable<Measurement<double>> Observe() => Volatile.Read(ref scrape) is { } s
                    ? figures.Select(f => (f.Read(s), f.Tags)).Where(m => m.Item1 is not null).Select(m => new Measurement<double>(m.Item1!.Value, m.Tags))
                    : [];
                var first = figures[0];
                if (first.IsCounter)
                {
                    meter.CreateObservableCounter(first.Name, Observe, first.Unit, first.Description);
                }
                else
                {
                    meter.CreateObservableGauge(first.Name, Observe, first.Unit, first.Description);
                }
            }
            var reporting = new ReportingExporter(new OtlpMetricExporter(options), exporter, notifications);
            using var provider = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(resource => resource.Clear().AddService(watched.Name, serviceInstanceId: instance))
                .AddMeter(meter.Name)
                .AddReader(new PeriodicExportingMetricReader(reporting, (int)Interval.TotalMilliseconds))
                .Build();
            await notifications.PublishUpdateAsync(exporter, snapshot => snapshot with
            {
                Properties = [.. snapshot.Properties.Where(p => p.Name != ServiceProperty), new ResourcePropertySnapshot(ServiceProperty, $"{watched.Name} {instance}")],
            });
            logger.LogInformation("Figures from {Pages} go to the dashboard as {Resource}'s metrics every {Seconds} s", string.Join(", ", pages), watched.Name, Interval.TotalSeconds);

            using var client = new HttpClient { Timeout = Interval };
            using var timer = new PeriodicTimer(Interval);
            do
            {
                var merged = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var page in pages)
                {
                    try
                    {
                        foreach (var (series, value) in PrometheusText.Parse(await client.GetStringAsync(page, stopping)))
                        {
                            merged[series] = value;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
                    {
                        // A page not up yet, or between restarts: no figures of its own rather than old ones.
                    }
                }
                Volatile.Write(ref scrape, merged.Count > 0 ? merged : null);
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private static string? Variable(CustomResourceSnapshot snapshot, string name) =>
        snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == name)?.Value;

    // The OTLP exporter, and what it sent shown on the exporter's resource: how many exports the dashboard took, and their figures.
    private sealed class ReportingExporter(OtlpMetricExporter otlp, IResource shownOn, ResourceNotificationService notifications) : BaseExporter<Metric>
    {
        private int _taken;

        public override ExportResult Export(in Batch<Metric> batch)
        {
            var figures = new List<string>();
            foreach (var metric in batch)
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    var value = metric.MetricType == MetricType.DoubleSum ? point.GetSumDouble() : point.GetGaugeLastValueDouble();
                    figures.Add($"{metric.Name}{Tags(point)}={value.ToString("G6", CultureInfo.InvariantCulture)}");
                }
            }
            var result = otlp.Export(batch);
            if (result == ExportResult.Success && figures.Count > 0)
            {
                var taken = Interlocked.Increment(ref _taken).ToString(CultureInfo.InvariantCulture);
                var last = string.Join(' ', figures);
                _ = notifications.PublishUpdateAsync(shownOn, snapshot => snapshot with
                {
                    Properties = [.. snapshot.Properties.Where(p => p.Name is not (ExportsProperty or LastExportProperty)),
                        new ResourcePropertySnapshot(ExportsProperty, taken), new ResourcePropertySnapshot(LastExportProperty, last)],
                });
            }
            return result;
        }

        // A point's attribute values after its name, e.g. nginx.http.responses[5xx]: one figure per point.
        private static string Tags(in MetricPoint point)
        {
            var values = new List<string>();
            foreach (var tag in point.Tags)
            {
                values.Add(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "");
            }
            return values.Count == 0 ? "" : $"[{string.Join(',', values)}]";
        }

        protected override bool OnShutdown(int timeoutMilliseconds) => otlp.Shutdown(timeoutMilliseconds);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                otlp.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>Prometheus's text format, as far as a bridge needs it: each sample line's series (name and labels as written) and value.</summary>
internal static class PrometheusText
{
    /// <summary>The samples of <paramref name="text"/> by series, e.g. <c>mysql_up</c> or <c>nginx_http_requests_total{code="2xx"}</c>.</summary>
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            // The series ends at the closing brace of its labels, if it has any (label values may hold spaces).
            var close = line.IndexOf('}');
            var split = line.IndexOf(' ', close < 0 ? 0 : close);
            if (split <= 0)
            {
                continue;
            }
            var value = line[(split + 1)..].Trim().Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                samples[line[..split]] = number;
            }
        }
        return samples;
    }
}
