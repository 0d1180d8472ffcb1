using System.Reflection;
using Microsoft.AspNetCore.DataProtection;
using MySqlConnector;

namespace FooBar.Web.Data;

/// <summary>
/// Applies the SQL scripts embedded from Data/Migrations in name order, each once: applied versions are
/// recorded in <c>schema_migrations</c>, so running it again is a no-op. A failing script stops start-up. Then makes
/// sure the key ring in the database has a key.
/// </summary>
public sealed class DatabaseMigrator(MySqlDataSource dataSource, IDataProtectionProvider dataProtection, ILogger<DatabaseMigrator> logger)
{
    private const string ResourcePrefix = "FooBar.Web.Data.Migrations.";
    private const int LockTimeoutSeconds = 60;

    public static IReadOnlyList<string> Versions { get; } = typeof(DatabaseMigrator).Assembly
        .GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
        .Select(name => name[ResourcePrefix.Length..^".sql".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Migrates, first waiting up to <paramref name="startupWait"/> for MySQL to answer.</summary>
    public async Task MigrateAsync(TimeSpan startupWait, CancellationToken cancellationToken)
    {
        await using var connection = await OpenWhenAnsweringAsync(startupWait, cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    VARCHAR(100) NOT NULL PRIMARY KEY,
                applied_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
            ) ENGINE = InnoDB
            """, cancellationToken);

        // Two instances starting together must not both apply the same script. On a Galera cluster the lock is the node's
        // own (MariaDB 10.11.19 grants it there), and every instance migrates through the same node: the first that answers.
        if (Convert.ToInt32(await ScalarAsync(connection, $"SELECT GET_LOCK('foobar.migrations', {LockTimeoutSeconds})", cancellationToken)) != 1)
        {
            throw new InvalidOperationException($"Another instance held the migration lock for {LockTimeoutSeconds} s; start-up stopped.");
        }

        try
        {
            var applied = await AppliedVersionsAsync(connection, cancellationToken);
            foreach (var version in Versions.Where(v => !applied.Contains(v)))
            {
                logger.LogInformation("Applying migration {Version}", version);
                try
                {
                    await ExecuteAsync(connection, ReadScript(version), cancellationToken);
                }
                catch (MySqlException ex)
                {
                    throw new InvalidOperationException($"Migration {version} failed: {ex.Message}. Start-up stopped; nothing after it was applied.", ex);
                }

                await using var record = new MySqlCommand("INSERT INTO schema_migrations (version) VALUES (@version)", connection);
                record.Parameters.AddWithValue("@version", version);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            logger.LogInformation("Database schema is at {Version}", Versions.LastOrDefault() ?? "(no migrations)");

            // The first use of the key ring (data_protection_keys) makes its first key: under the lock, so instances
            // starting together share one key rather than each making its own.
            dataProtection.CreateProtector("FooBar.Web.KeyRing").Protect([]);
        }
        finally
        {
            await ExecuteAsync(connection, "DO RELEASE_LOCK('foobar.migrations')", CancellationToken.None);
        }
    }

    // Where nothing orders the start (a swarm starts every service at once), MySQL may not answer yet: try again
    // every 2 s until it does or the wait is over, rather than crash and be restarted.
    private async Task<MySqlConnection> OpenWhenAnsweringAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (Exception exception) when (DatabaseUnavailable.Is(exception) && DateTime.UtcNow < deadline)
            {
                logger.LogInformation("MySQL does not answer yet ({Reason}); trying again in 2 s", exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    private static async Task<HashSet<string>> AppliedVersionsAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var versions = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new MySqlCommand("SELECT version FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetString(0));
        }
        return versions;
    }

    private static string ReadScript(string version)
    {
        using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream($"{ResourcePrefix}{version}.sql")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
