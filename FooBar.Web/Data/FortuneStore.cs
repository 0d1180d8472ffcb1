using MySqlConnector;

namespace FooBar.Web.Data;

public sealed record Fortune(int Id, string Message);

/// <summary>The TechEmpower Fortunes workload: read every row, add one in memory, sort by message.</summary>
public sealed class FortuneStore(MySqlDataSource dataSource)
{
    public const string AddedAtRequestTime = "Additional fortune added at request time.";

    public async Task<List<Fortune>> AllWithAdditionalAsync(CancellationToken cancellationToken)
    {
        var fortunes = new List<Fortune>(16) { new(0, AddedAtRequestTime) };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new MySqlCommand("SELECT id, message FROM fortune", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fortunes.Add(new Fortune(reader.GetInt32(0), reader.GetString(1)));
        }

        fortunes.Sort(static (a, b) => string.CompareOrdinal(a.Message, b.Message));
        return fortunes;
    }
}
