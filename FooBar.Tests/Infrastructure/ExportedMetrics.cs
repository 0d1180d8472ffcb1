using System.Globalization;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// What an exporter's bridge last sent the dashboard (PrometheusBridge's <c>metrics.last</c> property on the exporter's
/// resource, set only when the dashboard took the export): the dashboard's telemetry API serves spans and logs, not metrics.
/// </summary>
public static class ExportedMetrics
{
    /// <summary>The last export's figures by instrument (<c>mysql.queries</c> …), none before the first.</summary>
    public static Dictionary<string, double> Last(DistributedApplication app, string exporter) =>
        Property(app, exporter, "metrics.last") is { } line
            ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(figure => figure.Split('='))
                .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture))
            : [];

    /// <summary>The service and instance the figures are filed under (<c>metrics.service</c>: "mysql mysql-abcd1234").</summary>
    public static string? Service(DistributedApplication app, string exporter) => Property(app, exporter, "metrics.service");

    /// <summary>Polls until the last export's figures satisfy <paramref name="done"/>, or a minute has passed; returns the last ones read.</summary>
    public static Task<Dictionary<string, double>> UntilAsync(DistributedApplication app, string exporter, Func<Dictionary<string, double>, bool> done) =>
        Poll.UntilAsync(() => Task.FromResult(Last(app, exporter)), figures => figures.Count > 0 && done(figures),
            TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));

    private static string? Property(DistributedApplication app, string resource, string name) =>
        app.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? state.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString() : null;
}
