using System.Net;
using System.Net.Sockets;
using FooBar.Tests.Infrastructure;
using MySqlConnector;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// MySQL belongs to the stack: another machine reaches neither its container nor its published port
/// (scripts/setup.sh's firewall rule), and its logins, root's and the app's, work from this host only.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class DatabaseIsolationTests(StackFixture stack, ITestOutputHelper output)
{
    private const int MySqlPort = 3306;

    [Fact]
    public async Task Another_machine_reaches_neither_the_MySQL_container_nor_its_published_port_and_the_stack_keeps_working()
    {
        var mysql = Assert.Single(await DockerEngine.NetworkAddressesAsync(stack.App.ContainerName("mysql")));
        var publishedPort = stack.App.GetEndpoint("mysql", "tcp").Port;

        // This host reaches both: its connections to a container are its own output, which the firewall rule never sees.
        foreach (var (address, port) in new[] { (IPAddress.Loopback, publishedPort), (mysql.Address, MySqlPort) })
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await socket.ConnectAsync(address, port, timeout.Token);
            output.WriteLine($"{address}:{port} from this host: Connected");
        }

        // A neighbour that routes MySQL's Docker network through this host, as another machine on its LAN could.
        await using (var machine = await OtherMachine.CreateAsync(mysql.Subnet))
        {
            // The probe works: from the machine, a listener of the test's own on this host's end answers.
            using var listener = new TcpListener(machine.HostAddress, 0);
            listener.Start();
            var control = await machine.TryConnectAsync(machine.HostAddress, ((IPEndPoint)listener.LocalEndpoint).Port);
            output.WriteLine(control.Detail);
            Assert.True(control.Outcome == ConnectOutcome.Connected, $"The test's own link does not work, so its probes would prove nothing: {control.Detail}");

            var container = await machine.TryConnectAsync(mysql.Address, MySqlPort);
            var published = await machine.TryConnectAsync(machine.HostAddress, publishedPort);
            output.WriteLine(container.Detail);
            output.WriteLine(published.Detail);

            Assert.True(container.Outcome != ConnectOutcome.Connected,
                $"Another machine connected to MySQL's container: {container.Detail}. Is scripts/setup.sh's DOCKER-USER rule in place (iptables -S DOCKER-USER)?");
            Assert.True(published.Outcome != ConnectOutcome.Connected, $"Another machine connected to MySQL's published port: {published.Detail}");
        }

        // Nothing the stack needs went with the other machine.
        using var site = stack.CreateSiteClient();
        using var page = await site.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await using var db = await stack.Database.OpenAsync("foobardb-web");
        Assert.True(await db.ScalarAsync<long>("SELECT COUNT(*) FROM posts") >= 0);
    }

    [Fact]
    public async Task Root_and_the_app_user_log_in_from_this_host_and_from_no_other_address()
    {
        var container = stack.App.ContainerName("mysql");
        var mysql = Assert.Single(await DockerEngine.NetworkAddressesAsync(container));
        var thisHost = mysql.Gateway.ToString();

        // From this host (through the published port, arriving from the network's gateway) both log in:
        // the AppHost set everything up as root, and the app runs as its own user.
        await using var root = await stack.Database.OpenAsync("mysql");
        await using var app = await stack.Database.OpenAsync("foobardb-web");
        Assert.Equal($"root@{thisHost}", await root.ScalarAsync<string>("SELECT CURRENT_USER()"));
        Assert.Equal($"foobar_web@{thisHost}", await app.ScalarAsync<string>("SELECT CURRENT_USER()"));

        // No login for any host ('%'), none left from an earlier network; root's other one is the container's socket.
        var accounts = await root.RowsAsync("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User IN ('root', 'foobar_web')", row => row.GetString(0));
        Assert.Equal(new[] { $"foobar_web@{thisHost}", $"root@{thisHost}", "root@localhost" }.Order(), accounts.Order());

        // From another address, with the right passwords: MySQL's own container, over TCP to itself.
        var rootLogin = await stack.App.GetLoopbackMySqlConnectionStringAsync("mysql");
        var appLogin = await stack.App.GetLoopbackMySqlConnectionStringAsync("foobardb-web");
        foreach (var (user, password) in new[] { ("root", rootLogin.Password), ("foobar_web", appLogin.Password) })
        {
            var attempt = await DockerEngine.ExecAsync(container,
                ["sh", "-c", """client=$(command -v mariadb || command -v mysql) && exec "$client" --protocol=tcp --host="$1" --user="$2" -e 'SELECT 1'""",
                    "login", mysql.Address.ToString(), user],
                new Dictionary<string, string> { ["MYSQL_PWD"] = password });
            output.WriteLine($"{user} from {mysql.Address}: exit {attempt.ExitCode} {attempt.Output.Trim()}");

            Assert.False(attempt.Succeeded, $"{user} logged in from {mysql.Address}, which is not this host");
            // 1130: the server refuses the host before it looks at the password.
            Assert.Contains("1130", attempt.Output);
        }
    }
}
