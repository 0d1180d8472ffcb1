using System.Globalization;
using System.Text;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The MySQL of a Swarm stack, whose port is published nowhere: queries run with the server's own client inside its
/// task's container, as root over the socket, with the password from the stack's secret file.
/// </summary>
public sealed class SwarmDatabase(string mysqlService)
{
    private static readonly TimeSpan WaitForServer = TimeSpan.FromMinutes(2);

    // The stack file names the secret's file and the app's database in the container's environment; the password never leaves it.
    private const string ClientScript =
        """MYSQL_PWD=$(cat "$MYSQL_ROOT_PASSWORD_FILE") && export MYSQL_PWD && client=$(command -v mariadb || command -v mysql) && exec "$client" --protocol=socket --user=root --batch --skip-column-names --database="$MYSQL_DATABASE" -e "$1" """;

    /// <summary>The ids of the posts whose titles start with <paramref name="prefix"/>, in order.</summary>
    public async Task<List<long>> PostIdsTitledAsync(string prefix)
    {
        // The prefix goes in as hex digits, so no title needs quoting or escaping in the statement.
        var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(prefix));
        var output = await QueryAsync($"SELECT id FROM posts WHERE HEX(title) LIKE '{hex}%' ORDER BY id");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToList();
    }

    private async Task<string> QueryAsync(string sql)
    {
        // The server's one task, once it is healthy: a test may ask just after MySQL was restarted.
        var server = Assert.Single(await SwarmEngine.WaitForHealthyTasksAsync(mysqlService, tasks => tasks.Count == 1, WaitForServer));
        var result = await DockerEngine.ExecAsync(server.ContainerId, ["sh", "-c", ClientScript, "query", sql]);
        return result.Succeeded ? result.Output : throw new InvalidOperationException($"MySQL in {server.ContainerId} did not answer `{sql}`: {result.Output.Trim()}");
    }
}
