namespace FooBar.Hosting.Processes.Tests;

/// <summary>The Prometheus bridge's reading of an exporter's page and the figures it picks from it. No Docker.</summary>
[Trait("Speed", "Fast")]
public sealed class PrometheusBridgeModelTests
{
    private const string Page = """
        # HELP mysql_up Whether the MySQL server is up.
        # TYPE mysql_up gauge
        mysql_up 1
        mysql_global_status_connection_errors_total{error="max_connections"} 7
        nginx_label_with_space{path="/a b"} 2.5e+03 1700000000000
        mysql_global_status_wsrep_local_index 1.8446744073709552e+19
        not_a_number NaNx

        """;

    [Fact]
    public void A_page_reads_as_each_samples_series_with_its_labels_and_its_value()
    {
        var samples = PrometheusText.Parse(Page.Replace("\n", "\r\n"));

        Assert.Equal(1, samples["mysql_up"]);
        Assert.Equal(7, samples["mysql_global_status_connection_errors_total{error=\"max_connections\"}"]);
        // A label value may hold a space, and a sample may carry a timestamp after its value.
        Assert.Equal(2500, samples["nginx_label_with_space{path=\"/a b\"}"]);
        Assert.Equal(1.8446744073709552e+19, samples["mysql_global_status_wsrep_local_index"]);
        Assert.False(samples.ContainsKey("not_a_number"));
        Assert.Equal(4, samples.Count);
    }

    [Fact]
    public void A_figure_missing_from_the_page_is_no_figure_rather_than_zero()
    {
        var queries = BridgedMetric.Counter("mysql.queries", "{query}", "Statements run", "mysql_global_status_queries");

        Assert.True(queries.IsCounter);
        Assert.Equal(12, queries.Read(PrometheusText.Parse("mysql_global_status_queries 12\n")));
        Assert.Null(queries.Read(PrometheusText.Parse(Page)));
    }

    [Fact]
    public void A_tagged_figure_reads_its_own_series_and_keeps_the_figures_name()
    {
        var serverErrors = BridgedMetric.Counter("nginx.http.responses", "{response}", "Requests answered, by status class",
            "foobar_nginx_requests_total{status_class=\"5xx\"}").WithTag("status_class", "5xx");

        Assert.Equal("nginx.http.responses", serverErrors.Name);
        Assert.Equal([new KeyValuePair<string, object?>("status_class", "5xx")], serverErrors.Tags);
        Assert.Equal(3, serverErrors.Read(PrometheusText.Parse("foobar_nginx_requests_total{status_class=\"2xx\"} 40\nfoobar_nginx_requests_total{status_class=\"5xx\"} 3\n")));
    }
}
