using MySqlConnector;

namespace FooBar.Web.Data;

public sealed record Post(long Id, string Author, string Title, string Body, DateTime CreatedAt);

public sealed record PostPage(IReadOnlyList<Post> Posts, int PageNumber, int PageCount, long TotalPosts);

/// <summary>
/// Reads and writes posts; every statement is parameterised, and every call is run again on another connection when its
/// database node went away (<see cref="DatabaseRetry"/>): reads because they change nothing, writes because of their key.
/// </summary>
public sealed class PostStore(DatabaseRetry database, ILogger<PostStore> logger)
{
    private const string Columns = "id, author, title, body, created_at";

    /// <summary>The newest posts, for the front page.</summary>
    public async Task<IReadOnlyList<Post>> LatestAsync(int count, CancellationToken cancellationToken)
    {
        var posts = await database.RunAsync(count, static (connection, count, cancellationToken) =>
            ReadPostsAsync(connection, $"SELECT {Columns} FROM posts ORDER BY id DESC LIMIT @limit", count, 0, cancellationToken), cancellationToken);
        // Written inside the request's trace: the dashboard links this line to the request's spans.
        logger.LogInformation("Read {PostCount} posts for the front page", posts.Count);
        return posts;
    }

    /// <summary>Page <paramref name="pageNumber"/> (from 1) of all posts, newest first; null when there is no such page.</summary>
    public Task<PostPage?> PageAsync(int pageNumber, int pageSize, CancellationToken cancellationToken) =>
        database.RunAsync((pageNumber, pageSize), static async (connection, page, cancellationToken) =>
        {
            await using var count = new MySqlCommand("SELECT COUNT(*) FROM posts", connection);
            var total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken));

            // An empty board still has its first page; any other page must hold at least one post.
            var pageCount = (int)Math.Max(1, (total + page.pageSize - 1) / page.pageSize);
            if (page.pageNumber < 1 || page.pageNumber > pageCount)
            {
                return null;
            }

            var posts = await ReadPostsAsync(connection, $"SELECT {Columns} FROM posts ORDER BY id DESC LIMIT @limit OFFSET @offset",
                page.pageSize, (long)(page.pageNumber - 1) * page.pageSize, cancellationToken);
            return new PostPage(posts, page.pageNumber, pageCount, total);
        }, cancellationToken);

    public Task<Post?> FindAsync(long id, CancellationToken cancellationToken) =>
        database.RunAsync(id, static async (connection, id, cancellationToken) =>
        {
            await using var command = new MySqlCommand($"SELECT {Columns} FROM posts WHERE id = @id", connection);
            command.Parameters.AddWithValue("@id", id);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ReadPost(reader) : null;
        }, cancellationToken);

    /// <summary>
    /// Stores a post under <paramref name="key"/> and returns its id; when a post is already stored under that key
    /// (the same form sent again), stores nothing and returns that post's id: the key wins, whatever the text.
    /// </summary>
    public async Task<long> AddAsync(PostKey key, string author, string title, string body, CancellationToken cancellationToken)
    {
        var (id, alreadyStored) = await database.RunAsync((key, author, title, body), static async (connection, post, cancellationToken) =>
        {
            await using var insert = new MySqlCommand(
                "INSERT INTO posts (post_key, author, title, body) VALUES (@key, @author, @title, @body)", connection);
            insert.Parameters.AddWithValue("@key", post.key.Bytes);
            insert.Parameters.AddWithValue("@author", post.author);
            insert.Parameters.AddWithValue("@title", post.title);
            insert.Parameters.AddWithValue("@body", post.body);
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
                return (insert.LastInsertedId, false);
            }
            catch (MySqlException exception) when (exception.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
            {
                await using var find = new MySqlCommand("SELECT id FROM posts WHERE post_key = @key", connection);
                find.Parameters.AddWithValue("@key", post.key.Bytes);
                return (Convert.ToInt64(await find.ExecuteScalarAsync(cancellationToken)
                    ?? throw new InvalidOperationException("A duplicate key that is not a post's key.", exception)), true);
            }
        }, cancellationToken);

        if (alreadyStored)
        {
            logger.LogInformation("Post {PostId} was already stored under this form's key; answered with it", id);
        }
        return id;
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
