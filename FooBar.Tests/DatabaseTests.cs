using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The app reads and writes the real MySQL server, and its schema comes from versioned migrations.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class DatabaseTests(StackFixture stack)
{
    [Fact]
    public async Task A_row_written_to_MySQL_is_shown_on_the_next_page_view()
    {
        var title = $"Written by the test {Guid.NewGuid():N}";
        await stack.Database.InsertPostAsync(title, "round trip");

        using var site = stack.CreateSiteClient();
        var html = await site.GetStringAsync("/");

        Assert.Contains(title, html);
    }

    [Fact]
    public async Task Migrations_are_recorded_once_and_a_restart_applies_nothing_again()
    {
        var before = await AppliedMigrationsAsync();
        Assert.NotEmpty(before);
        Assert.Equal(before.Distinct(), before);

        await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.RestartCommand);
        await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("web");

        Assert.Equal(before, await AppliedMigrationsAsync());
        using var site = stack.CreateSiteClient();
        using var response = await site.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_post_key_is_stored_at_most_once_under_a_unique_index()
    {
        await using var db = await stack.Database.OpenAsync();
        var indexes = await db.RowsAsync("""
            SELECT s.INDEX_NAME, s.NON_UNIQUE, c.COLUMN_TYPE FROM information_schema.STATISTICS s
            JOIN information_schema.COLUMNS c USING (TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME)
            WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = 'posts' AND s.COLUMN_NAME = 'post_key'
            """, row => (Index: row.GetString(0), NonUnique: Convert.ToInt64(row.GetValue(1)), Type: row.GetString(2)));

        var index = Assert.Single(indexes);
        Assert.Equal(0, index.NonUnique);
        // Binary: two keys that differ only in letter case are two keys.
        Assert.Equal("binary(16)", index.Type);
        // The key alone is unique, not the key together with another column.
        Assert.Equal(1, await db.ScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts' AND INDEX_NAME = @index",
            new MySqlConnector.MySqlParameter("@index", index.Index)));
    }

    [Fact]
    public async Task Pages_read_through_pooled_connections_that_MySQL_killed_are_answered_from_fresh_ones()
    {
        using var site = stack.CreateSiteClient();
        var pages = new[] { "/", "/posts", "/posts/1", "/fortunes", "/journey" };
        foreach (var path in pages)
        {
            await site.GetHtmlAsync(path);
        }

        // As a database node that goes away does: every connection the app holds in its pool is closed under it.
        await using (var db = await stack.Database.OpenAsync())
        {
            var appConnections = await db.RowsAsync("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'foobar_web'",
                row => Convert.ToInt64(row.GetValue(0)));
            Assert.NotEmpty(appConnections);
            foreach (var id in appConnections)
            {
                await db.ExecuteAsync($"KILL CONNECTION {id}");
            }
        }

        foreach (var path in pages)
        {
            using var response = await site.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode} after its connections were killed");
        }
    }

    private async Task<List<(string Version, DateTime AppliedAt)>> AppliedMigrationsAsync()
    {
        await using var db = await stack.Database.OpenAsync();
        return await db.RowsAsync("SELECT version, applied_at FROM schema_migrations ORDER BY version", row => (row.GetString(0), row.GetDateTime(1)));
    }
}
