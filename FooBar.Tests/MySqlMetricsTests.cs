using System.Globalization;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// MySQL's figures on the dashboard beside the app's: the server's exporter (mysql-exporter) is read and its figures
/// exported over OTLP under the mysql resource's name; what the dashboard took is shown on the exporter's resource (the
/// dashboard's telemetry API serves spans and logs, not metrics), and the query count moves with the pages asked for.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class MySqlMetricsTests(StackFixture stack)
{
    private const int Pages = 50;

    [Fact]
    public async Task The_dashboard_takes_the_servers_figures_under_its_name_and_the_query_count_moves_with_the_pages_asked_for()
    {
        var before = await ExportedAsync("mysql-exporter", figures => figures.ContainsKey("mysql.queries"));
        Assert.Equal(1, before["mysql.up"]);
        Assert.True(before["mysql.connections.in_use"] >= 1, $"connections in use: {before["mysql.connections.in_use"]}");
        Assert.InRange(before["mysql.innodb.buffer_pool.hit_ratio"], 0, 1);
        Assert.True(stack.App.ResourceNotifications.TryGetCurrentState("mysql", out var mysql));
        Assert.Equal($"mysql {mysql.ResourceId}", Property("mysql-exporter", "metrics.service"));

        // Each /fortunes page is one query of the app's.
        using var site = stack.CreateSiteClient();
        var answered = 0;
        for (var i = 0; i < Pages; i++)
        {
            using var response = await site.GetAsync("/fortunes");
            answered += response.IsSuccessStatusCode ? 1 : 0;
        }
        Assert.Equal(Pages, answered);

        var after = await ExportedAsync("mysql-exporter", figures => figures["mysql.queries"] >= before["mysql.queries"] + Pages);
        Assert.True(after["mysql.queries"] >= before["mysql.queries"] + Pages,
            $"queries went from {before["mysql.queries"]} to {after["mysql.queries"]} over {Pages} pages");
    }

    // The figures of the last export the dashboard took from an exporter's bridge, once they satisfy done.
    private async Task<Dictionary<string, double>> ExportedAsync(string exporter, Func<Dictionary<string, double>, bool> done)
    {
        var figures = await Poll.UntilAsync(() => Task.FromResult(Figures(Property(exporter, "metrics.last"))),
            figures => figures.Count > 0 && done(figures), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        Assert.True(figures.Count > 0, $"{exporter}: no export the dashboard took in 60 s");
        return figures;
    }

    private string? Property(string resource, string name) =>
        stack.App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? state.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString() : null;

    // "mysql.up=1 mysql.queries=1234 …"
    private static Dictionary<string, double> Figures(string? line) =>
        (line ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(figure => figure.Split('='))
            .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture));
}
