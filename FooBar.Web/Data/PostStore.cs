using MySqlConnector;

namespace FooBar.Web.Data;

public sealed record Post(long Id, string Author, string Title, string Body, DateTime CreatedAt);

public sealed record PostPage(IReadOnlyList<Post> Posts, int PageNumber, int PageCount, long TotalPosts);

/// <summary>Reads and writes posts; every statement is parameterised.</summary>
public sealed class PostStore(MySqlDataSource dataSource, ILogger<PostStore> logger)
{
    private const string Columns = "id, author, title, body, created_at";

    /// <summary>The newest posts, for the front page.</summary>
    public async Task<IReadOnlyList<Post>> LatestAsync(int count, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var posts = await ReadPostsAsync(connection, $"SELECT {Columns} FROM posts ORDER BY id DESC LIMIT @limit", count, 0, cancellationToken);
        // Written inside the request's trace: the dashboard links this line to the request's spans.
        logger.LogInformation("Read {PostCount} posts for the front page", posts.Count);
        return posts;
    }

    /// <summary>Page <paramref name="pageNumber"/> (from 1) of all posts, newest first; null when there is no such page.</summary>
    public async Task<PostPage?> PageAsync(int pageNumber, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var count = new MySqlCommand("SELECT COUNT(*) FROM posts", connection);
        var total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken));

        // An empty board still has its first page; any other page must hold at least one post.
        var pageCount = (int)Math.Max(1, (total + pageSize - 1) / pageSize);
        if (pageNumber < 1 || pageNumber > pageCount)
        {
            return null;
        }

        var posts = await ReadPostsAsync(connection, $"SELECT {Columns} FROM posts ORDER BY id DESC LIMIT @limit OFFSET @offset",
            pageSize, (long)(pageNumber - 1) * pageSize, cancellationToken);
        return new PostPage(posts, pageNumber, pageCount, total);
    }

    public async Task<Post?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new MySqlCommand($"SELECT {Columns} FROM posts WHERE id = @id", connection);
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadPost(reader) : null;
    }

    /// <summary>Stores a post and returns its id.</summary>
    public async Task<long> AddAsync(string author, string title, string body, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new MySqlCommand("INSERT INTO posts (author, title, body) VALUES (@author, @title, @body)", connection);
        command.Parameters.AddWithValue("@author", author);
        command.Parameters.AddWithValue("@title", title);
        command.Parameters.AddWithValue("@body", body);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return command.LastInsertedId;
    }

    private static async Task<IReadOnlyList<Post>> ReadPostsAsync(MySqlConnection connection, string sql, int limit, long offset,
        CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddWithValue("@limit", limit);
        command.Parameters.AddWithValue("@offset", offset);

        var posts = new List<Post>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            posts.Add(ReadPost(reader));
        }
        return posts;
    }

    private static Post ReadPost(MySqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDateTime(4));
}
