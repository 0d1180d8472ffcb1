using System.Net;
using FooBar.Tests.Infrastructure;
using MySqlConnector;

namespace FooBar.Tests;

/// <summary>The app reads and writes the real MySQL server, and its schema comes from versioned migrations.</summary>
[Collection(StackCollection.Name)]
public sealed class DatabaseTests(StackFixture stack)
{
    [Fact]
    public async Task A_row_written_to_MySQL_is_shown_on_the_next_page_view()
    {
        var title = $"Written by the test {Guid.NewGuid():N}";
        await using (var db = await stack.OpenDatabaseAsync())
        {
            await using var insert = new MySqlCommand("INSERT INTO posts (author, title, body) VALUES ('tests', @title, 'round trip')", db);
            insert.Parameters.AddWithValue("@title", title);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

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

        await stack.ExecuteCommandAsync("web", KnownResourceCommands.RestartCommand);
        await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("web");

        Assert.Equal(before, await AppliedMigrationsAsync());
        using var site = stack.CreateSiteClient();
        using var response = await site.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<List<(string Version, DateTime AppliedAt)>> AppliedMigrationsAsync()
    {
        await using var db = await stack.OpenDatabaseAsync();
        await using var query = new MySqlCommand("SELECT version, applied_at FROM schema_migrations ORDER BY version", db);
        await using var reader = await query.ExecuteReaderAsync();
        var rows = new List<(string, DateTime)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetDateTime(1)));
        }
        return rows;
    }
}
