using MySqlConnector;

namespace FooBar.Web.Data;

public sealed record Fortune(int Id, string Message);

/// <summary>The TechEmpower Fortunes workload: read every row, add one in memory, sort by message.</summary>
public sealed class FortuneStore(DatabaseRetry database)
{
    public const string AddedAtRequestTime = "Additional fortune added at request time.";

    public async Task<List<Fortune>> AllWithAdditionalAsync(CancellationToken cancellationToken)
    {
        var fortunes = await database.RunAsync(0, static (connection, _, cancellationToken) => ReadAllAsync(connection, cancellationToken), cancellationToken);
        fortunes.Sort(static (a, b) => string.CompareOrdinal(a.Message, b.Message));
        return fortunes;
    }

    // A new list on each attempt, so a retry does not add to what a failed one read.
    private static async Task<List<Fortune>> ReadAllAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var fortunes = new List<Fortune>(16) { new(0, AddedAtRequestTime) };
        await using var command = new MySqlCommand("SELECT id, message FROM fortune", connection);
        // Prepared once per pooled connection (MySqlConnector keeps it with the session), then run by its id.
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fortunes.Add(new Fortune(reader.GetInt32(0), reader.GetString(1)));
        }
        return fortunes;
    }
}
