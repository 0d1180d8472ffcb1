using System.Globalization;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// What an exporter's bridge last sent the dashboard (PrometheusBridge's <c>metrics.last</c> property on the exporter's
/// resource, set only when the dashboard took the export): the dashboard's telemetry API serves spans and logs, not metrics.
/// </summary>
public static class ExportedMetrics
{
    /// <summary>The last export's figures by instrument (<c>mysql.queries</c> …, a tagged one with its tags' values: <c>nginx.http.responses[2xx]</c>), none before the first.</summary>
    public static Dictionary<string, double> Last(DistributedApplication app, string exporter) =>
        Property(app, exporter, "metrics.last") is { } line
            ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(figure => figure.Split('='))
                .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture))
            : [];

    /// <summary>How many exports the dashboard has taken (<c>metrics.exports</c>), 0 before the first.</summary>
    public static int Exports(DistributedApplication app, string exporter) =>
        Property(app, exporter, "metrics.exports") is { } taken ? int.Parse(taken, CultureInfo.InvariantCulture) : 0;

    /// <summary>
    /// The figures of an export whose page was read after this call, so that they hold whatever came before it: the
    /// second export from now (pages are read and exported every 5 s).
    /// </summary>
    public static async Task<Dictionary<string, double>> FreshAsync(DistributedApplication app, string exporter)
    {
        var now = Exports(app, exporter);
        await Poll.UntilAsync(() => Task.FromResult(Exports(app, exporter) >= now + 2), $"two exports of {exporter} after {now}",
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));
        return Last(app, exporter);
    }

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
