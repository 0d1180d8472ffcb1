using System.Globalization;
using MySqlConnector;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The tests' one way into the stack's MySQL: connections straight to its container on loopback, as root or as
/// one of its logins, and the queries about posts that several tests share.
/// </summary>
public sealed class TestDatabase(DistributedApplication app)
{
    /// <summary>A post as stored.</summary>
    public sealed record StoredPost(long Id, string Author, string Title, string Body);

    /// <summary>An open connection as the login of <paramref name="resourceName"/>: root on the app's database by default.</summary>
    public async Task<MySqlConnection> OpenAsync(string resourceName = "foobardb")
    {
        var connection = new MySqlConnection((await app.GetLoopbackMySqlConnectionStringAsync(resourceName)).ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>
    /// An open connection as root on the app's database on one node of a cluster (<paramref name="node"/>, such as mysql-2)
    /// and no other, which reads everything the cluster committed before (wsrep_sync_wait).
    /// </summary>
    public async Task<MySqlConnection> OpenNodeAsync(string node)
    {
        var settings = await app.GetLoopbackMySqlConnectionStringAsync("foobardb");
        var endpoint = app.GetEndpoint(node, "tcp");
        settings.Server = endpoint.Host;
        settings.Port = (uint)endpoint.Port;
        var connection = new MySqlConnection(settings.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("SET SESSION wsrep_sync_wait = 1");
        return connection;
    }

    /// <summary>Runs <paramref name="statements"/> in order as root on the app's database.</summary>
    public async Task ExecuteAsync(params string[] statements)
    {
        await using var db = await OpenAsync();
        foreach (var sql in statements)
        {
            await db.ExecuteAsync(sql);
        }
    }

    /// <summary>Writes a post behind the app's back, as a row it did not make; returns its id.</summary>
    public async Task<long> InsertPostAsync(string title, string body = "written by the tests")
    {
        await using var db = await OpenAsync();
        await using var insert = new MySqlCommand("INSERT INTO posts (author, title, body) VALUES ('tests', @title, @body)", db);
        insert.Parameters.AddWithValue("@title", title);
        insert.Parameters.AddWithValue("@body", body);
        await insert.ExecuteNonQueryAsync();
        return insert.LastInsertedId;
    }

    /// <summary>The post with <paramref name="id"/>, or null.</summary>
    public async Task<StoredPost?> FindPostAsync(long id)
    {
        await using var db = await OpenAsync();
        await using var query = new MySqlCommand("SELECT author, title, body FROM posts WHERE id = @id", db);
        query.Parameters.AddWithValue("@id", id);
        await using var reader = await query.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new StoredPost(id, reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>How many posts there are, or how many have exactly <paramref name="title"/>.</summary>
    public async Task<long> CountPostsAsync(string? title = null)
    {
        await using var db = await OpenAsync();
        return title is null
            ? await db.ScalarAsync<long>("SELECT COUNT(*) FROM posts")
            : await db.ScalarAsync<long>("SELECT COUNT(*) FROM posts WHERE title = @title", new MySqlParameter("@title", title));
    }

    /// <summary>The ids of the posts whose titles start with <paramref name="prefix"/>, in order.</summary>
    public async Task<List<long>> PostIdsTitledAsync(string prefix)
    {
        await using var db = await OpenAsync();
        var pattern = prefix.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        return await db.RowsAsync("SELECT id FROM posts WHERE title LIKE @pattern ORDER BY id",
            row => Convert.ToInt64(row.GetValue(0), CultureInfo.InvariantCulture), new MySqlParameter("@pattern", pattern));
    }
}

public static class MySqlConnectionExtensions
{
    /// <summary>Runs a statement; returns the rows it changed.</summary>
    public static async Task<int> ExecuteAsync(this MySqlConnection connection, string sql, params MySqlParameter[] parameters)
    {
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row, converted to <typeparamref name="T"/>; default when there is none or it is NULL.</summary>
    public static async Task<T?> ScalarAsync<T>(this MySqlConnection connection, string sql, params MySqlParameter[] parameters)
    {
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>Every row of a query, each read by <paramref name="read"/>.</summary>
    public static async Task<List<T>> RowsAsync<T>(this MySqlConnection connection, string sql, Func<MySqlDataReader, T> read,
        params MySqlParameter[] parameters)
    {
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }
        return rows;
    }
}
