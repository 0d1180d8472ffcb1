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
        // The first exports may come before the exporter's login exists (mysql.up 0): the first that reached the server.
        var before = await ExportedMetrics.UntilAsync(stack.App, "mysql-exporter",
            figures => figures.GetValueOrDefault("mysql.up") == 1 && figures.ContainsKey("mysql.queries"));
        Assert.True(before.ContainsKey("mysql.queries"), "mysql-exporter: no export the dashboard took in 60 s");
        Assert.Equal(1, before["mysql.up"]);
        Assert.True(before["mysql.connections.in_use"] >= 1, $"connections in use: {before["mysql.connections.in_use"]}");
        Assert.InRange(before["mysql.innodb.buffer_pool.hit_ratio"], 0, 1);
        Assert.True(stack.App.ResourceNotifications.TryGetCurrentState("mysql", out var mysql));
        Assert.Equal($"mysql {mysql.ResourceId}", ExportedMetrics.Service(stack.App, "mysql-exporter"));

        // Each /fortunes page is one query of the app's.
        using var site = stack.CreateSiteClient();
        var answered = 0;
        for (var i = 0; i < Pages; i++)
        {
            using var response = await site.GetAsync("/fortunes");
            answered += response.IsSuccessStatusCode ? 1 : 0;
        }
        Assert.Equal(Pages, answered);

        var after = await ExportedMetrics.UntilAsync(stack.App, "mysql-exporter", figures => figures["mysql.queries"] >= before["mysql.queries"] + Pages);
        Assert.True(after["mysql.queries"] >= before["mysql.queries"] + Pages,
            $"queries went from {before["mysql.queries"]} to {after["mysql.queries"]} over {Pages} pages");
    }
}
