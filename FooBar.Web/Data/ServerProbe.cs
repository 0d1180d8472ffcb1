using System.Diagnostics;
using MySqlConnector;

namespace FooBar.Web.Data;

/// <summary>What one query told about the MySQL server that answered it, and how long it took.</summary>
public sealed record ServerVisit(string Sql, string ServerVersion, long ConnectionId, long PostCount, TimeSpan OpenTime, TimeSpan QueryTime);

/// <summary>Asks MySQL about itself, for the journey page.</summary>
public sealed class ServerProbe(DatabaseRetry database)
{
    public const string Sql = "SELECT VERSION(), CONNECTION_ID(), (SELECT COUNT(*) FROM posts)";

    // The open time includes any attempt on a node that went away: what this visit waited for.
    public Task<ServerVisit> VisitAsync(CancellationToken cancellationToken) =>
        database.RunAsync(Stopwatch.GetTimestamp(), static async (connection, started, cancellationToken) =>
        {
            var opened = Stopwatch.GetTimestamp();
            await using var command = new MySqlCommand(Sql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            // VERSION() is the server's own string; MariaDB's "5.5.5-" prefix appears only in the handshake.
            return new ServerVisit(Sql, reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2),
                Stopwatch.GetElapsedTime(started, opened), Stopwatch.GetElapsedTime(opened));
        }, cancellationToken);
}
