using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// The database admin page (development profile, which the shared stack runs): the dashboard's link opens it logged in
/// as MySQL's root on foobardb, with no password typed or sent, and only this machine reaches it.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class AdminPageTests(StackFixture stack)
{
    [Fact]
    public async Task The_dashboards_link_opens_it_logged_in_and_it_lists_foobardbs_tables()
    {
        var password = await AdminPage.RootPasswordAsync(stack.App);

        var (address, html) = await AdminPage.OpenAsync(AdminPage.DashboardLink(stack.App));

        Assert.Contains("server=mysql&", address.Query);
        Assert.DoesNotContain(password, address.ToString());
        Assert.DoesNotContain(password, html);
        Assert.DoesNotContain(await stack.App.LogLinesAsync(AdminPage.Resource), line => line.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Its_port_is_published_on_127_0_0_1_only()
    {
        var published = await DockerEngine.RunAsync("port", stack.App.ContainerName(AdminPage.Resource), "8080/tcp");

        var bindings = published.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(bindings);
        Assert.All(bindings, binding => Assert.StartsWith("127.0.0.1:", binding));
        Assert.Contains(bindings, binding => binding == $"127.0.0.1:{AdminPage.DashboardLink(stack.App).Port}");
    }

    [Fact]
    public async Task A_name_other_than_this_machines_gets_nothing_and_no_other_server_can_be_logged_in_to()
    {
        var link = AdminPage.DashboardLink(stack.App);
        using var client = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer() })
        {
            BaseAddress = new UriBuilder(link) { Host = "127.0.0.1", Path = "/", Query = "" }.Uri,
            Timeout = TimeSpan.FromSeconds(30),
        };

        // A page elsewhere that points a name of its own at 127.0.0.1 (DNS rebinding) reaches no database.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/");
        rebound.Headers.Host = $"www.example.com:{link.Port}";
        using var refused = await client.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
        Assert.DoesNotContain("foobardb", await refused.Content.ReadAsStringAsync());

        // Another server than the stack's, or another login, is refused with Adminer's login form: the stack's servers
        // to choose from, nothing to type.
        foreach (var query in new[] { "?server=mysql.example.com&username=root", "?server=mysql&username=foobar_web" })
        {
            using var other = await client.GetAsync(query);
            var html = await other.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
            Assert.DoesNotContain("table=posts", html);
            Assert.Matches(@"<select name='auth\[server\]'><option( selected)?>mysql</select>", html);
            Assert.DoesNotContain("auth[password]", html);
        }
    }
}

/// <summary>With high availability the admin page reaches every node of the cluster: the dashboard's link opens the first.</summary>
[Collection(HighAvailabilityCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class AdminPageHighAvailabilityTests(HighAvailabilityStackFixture stack)
{
    [Fact]
    public async Task The_dashboards_link_opens_the_first_node_and_each_node_lists_foobardbs_tables()
    {
        var link = AdminPage.DashboardLink(stack.App);

        foreach (var node in new[] { "mysql-1", "mysql-2", "mysql-3" })
        {
            var (address, _) = await AdminPage.OpenAsync(node == "mysql-1" ? link : new UriBuilder(link) { Query = $"server={node}" }.Uri);
            Assert.Contains($"server={node}&", address.Query);
        }
    }
}

/// <summary>The admin page as a person reaches it: from the dashboard's link, in a browser that keeps its cookies.</summary>
internal static class AdminPage
{
    public const string Resource = "mysql-admin";

    /// <summary>The URL the dashboard shows for the resource, as a person clicks it.</summary>
    public static Uri DashboardLink(DistributedApplication app)
    {
        Assert.True(app.ResourceNotifications.TryGetCurrentState(Resource, out var state), $"{Resource} is not in the stack.");
        var url = Assert.Single(state.Snapshot.Urls, url => !url.IsInternal && url.Name == "http");
        var link = new Uri(url.Url);
        Assert.True(link.IsLoopback, $"The dashboard links to {link}, not to this machine.");
        return link;
    }

    /// <summary>
    /// Opens <paramref name="link"/> (at 127.0.0.1, which "localhost" stands for here), asserts that it lands logged in on
    /// foobardb with its tables listed and no password asked for, and returns the address it landed on and the page.
    /// </summary>
    public static async Task<(Uri Address, string Html)> OpenAsync(Uri link)
    {
        using var client = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer() })
        {
            BaseAddress = new UriBuilder(link) { Host = "127.0.0.1" }.Uri,
            Timeout = TimeSpan.FromSeconds(30),
        };

        using var response = await client.GetAsync(link.PathAndQuery);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var address = response.RequestMessage!.RequestUri!;
        Assert.Contains("db=foobardb", address.Query);
        foreach (var table in new[] { "posts", "fortune", "schema_migrations" })
        {
            Assert.Contains($"table={table}", html);
        }
        Assert.DoesNotContain("auth[password]", html);
        return (address, html);
    }

    /// <summary>MySQL's root password, which must appear nowhere the page shows or logs.</summary>
    public static async Task<string> RootPasswordAsync(DistributedApplication app)
    {
        var mysql = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IMySqlServerResource>().Single();
        var password = await mysql.PasswordParameter.GetValueAsync(CancellationToken.None);
        Assert.False(string.IsNullOrEmpty(password));
        return password!;
    }
}
