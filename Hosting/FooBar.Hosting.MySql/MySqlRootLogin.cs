using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using FooBar.Hosting.Processes;
using MySqlConnector;

namespace FooBar.Hosting.MySql;

/// <summary>
/// Root's only network login: from this host, where the AppHost runs. The host's connections reach the container
/// through the engine's NAT and arrive from the gateway of the container's Docker network, which every run creates
/// anew (its subnet can change) while a data volume keeps the accounts. So on every start of the container, root's
/// login is made for the current gateway through the container's own socket (<c>docker exec</c>), the one way in
/// that does not depend on the network, and root's logins from any other host are dropped.
/// </summary>
internal static class MySqlRootLogin
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    // A first start initialises the data directory before the server takes connections on its socket.
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(3);

    // Either image's client, logging in as root over the socket with the password from MYSQL_PWD (never in argv).
    private const string ClientScript =
        """client=$(command -v mariadb || command -v mysql) && exec "$client" --protocol=socket --user=root --batch""";

    /// <summary>Watches <paramref name="server"/> until the AppHost stops and grants root's login to each container it starts.</summary>
    public static void KeepForThisHost(MySqlServerResource server, IServiceProvider services)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(() => WatchAsync(server, notifications, logger, stopping), stopping);
    }

    private static async Task WatchAsync(MySqlServerResource server, ResourceNotificationService notifications, ILogger logger, CancellationToken stopping)
    {
        var wasRunning = false;
        try
        {
            await foreach (var update in notifications.WatchAsync(stopping))
            {
                if (update.Resource != server)
                {
                    continue;
                }
                var running = update.Snapshot.State?.Text == KnownResourceStates.Running;
                // Each start, the first included, is a new container (or the old one started again) that needs the grant.
                if (running && !wasRunning)
                {
                    // By name: DCP keeps it across a stop and start, while the snapshot's container.id may still be the old one's.
                    await GrantAsync(server, server.PasswordParameter, update.ResourceId, notifications, logger, stopping);
                }
                wasRunning = running;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Gives root its login from this host on <paramref name="server"/>'s <paramref name="container"/> (a server, or a node
    /// of a cluster, whose peers receive it by replication), trying until its server takes connections; false if it gave up.
    /// </summary>
    public static async Task<bool> GrantAsync(IResource server, ParameterResource rootPassword, string container,
        ResourceNotificationService notifications, ILogger logger, CancellationToken stopping)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        var password = await rootPassword.GetValueAsync(stopping) ?? "";
        while (true)
        {
            // Asked on every attempt: until the container runs, it may be on no network yet.
            var gateways = await GatewaysAsync(container, stopping);
            var (exitCode, output) = gateways.Count == 0
                ? new ProgramResult(-1, $"the container {container} is on no Docker network with an IPv4 gateway")
                : await DockerCli.RunAsync(["exec", "-i", "-e", "MYSQL_PWD", container, "sh", "-c", ClientScript],
                    stopping, standardInput: GrantSql(gateways, password), environment: new Dictionary<string, string> { ["MYSQL_PWD"] = password });
            if (exitCode == 0)
            {
                logger.LogInformation("Root may log in over the network from {Hosts} (this host) only", string.Join(", ", gateways));
                return true;
            }
            // Until the server takes connections on its socket, the client fails; a container that stopped gets its grant when it runs again.
            var stillRunning = notifications.TryGetCurrentState(server.Name, out var state) && state.Snapshot.State?.Text == KnownResourceStates.Running;
            if (!stillRunning || DateTime.UtcNow > deadline)
            {
                logger.LogError("Root's login for this host could not be made: {Output}", output.Trim());
                return false;
            }
            await Task.Delay(RetryInterval, stopping);
        }
    }

    // The host's connections arrive from the gateway of the network the engine routes them into.
    private static async Task<IReadOnlyList<string>> GatewaysAsync(string container, CancellationToken stopping)
    {
        var (exitCode, output) = await DockerCli.RunAsync(
            ["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.Gateway}} {{end}}", container], stopping);
        return exitCode != 0
            ? []
            : output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(address => IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork)
                .Distinct().ToList();
    }

    /// <summary>
    /// The statements, idempotent, that give root a login from <paramref name="hosts"/> with <paramref name="password"/>
    /// (set every time: a data volume outlives a regenerated password) and drop root's logins from anywhere else but
    /// the socket ('localhost'), such as the '%' a data directory from before had.
    /// </summary>
    internal static string GrantSql(IReadOnlyList<string> hosts, string password)
    {
        var secret = Literal(password);
        var statements = new List<string>();
        foreach (var account in hosts.Select(host => $"'root'@{Literal(host)}"))
        {
            statements.Add($"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {secret};");
            statements.Add($"ALTER USER {account} IDENTIFIED BY {secret};");
            statements.Add($"GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION;");
        }
        var kept = string.Join(", ", hosts.Prepend("localhost").Select(Literal));
        // DROP USER takes no list from a query: the list is built in SQL, so that MySQL and MariaDB both run it.
        statements.Add($"SET @others = (SELECT GROUP_CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.user WHERE User = 'root' AND Host NOT IN ({kept}));");
        statements.Add("SET @drop_others = IFNULL(CONCAT('DROP USER ', @others), 'DO 0');");
        statements.Add("PREPARE drop_others FROM @drop_others;");
        statements.Add("EXECUTE drop_others;");
        statements.Add("DEALLOCATE PREPARE drop_others;");
        return string.Join('\n', statements) + '\n';
    }

    /// <summary>A value as a quoted SQL string literal.</summary>
    internal static string Literal(string value) => $"'{MySqlHelper.EscapeString(value)}'";
}
