using MySqlConnector;

namespace FooBar.Web.Data;

public sealed record Post(long Id, string Author, string Title, string Body, DateTime CreatedAt);

public sealed record FrontPage(IReadOnlyList<Post> Posts, string ServerVersion);

/// <summary>Reads and writes posts; every statement is parameterised.</summary>
public sealed class PostStore(MySqlDataSource dataSource, ILogger<PostStore> logger)
{
    /// <summary>The newest posts, and the version string the server reported on the same connection.</summary>
    public async Task<FrontPage> FrontPageAsync(int count, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new MySqlCommand(
            "SELECT id, author, title, body, created_at FROM posts ORDER BY created_at DESC, id DESC LIMIT @count", connection);
        command.Parameters.AddWithValue("@count", count);

        var posts = new List<Post>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            posts.Add(new Post(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDateTime(4)));
        }
        // Written inside the request's trace: the dashboard links this line to the request's spans.
        logger.LogInformation("Read {PostCount} posts for the front page", posts.Count);
        return new FrontPage(posts, ServerVersionOf(connection));
    }

    // MariaDB prefixes its handshake version with "5.5.5-" for old clients' sake; people want the rest.
    private static string ServerVersionOf(MySqlConnection connection) =>
        connection.ServerVersion.StartsWith("5.5.5-", StringComparison.Ordinal) ? connection.ServerVersion["5.5.5-".Length..] : connection.ServerVersion;
}
