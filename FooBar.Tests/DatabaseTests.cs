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

    private async Task<List<(string Version, DateTime AppliedAt)>> AppliedMigrationsAsync()
    {
        await using var db = await stack.Database.OpenAsync();
        return await db.RowsAsync("SELECT version, applied_at FROM schema_migrations ORDER BY version", row => (row.GetString(0), row.GetDateTime(1)));
    }
}
