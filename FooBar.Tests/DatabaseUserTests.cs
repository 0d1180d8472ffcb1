using FooBar.Tests.Infrastructure;
using MySqlConnector;

namespace FooBar.Tests;

/// <summary>The app logs in to MySQL as its own user, with rights on its own database only.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class DatabaseUserTests(StackFixture stack)
{
    [Fact]
    public async Task The_app_is_given_its_own_login_and_never_roots_password()
    {
        var appLogin = await stack.App.GetLoopbackMySqlConnectionStringAsync("foobardb-web");
        var root = await stack.App.GetLoopbackMySqlConnectionStringAsync("mysql");
        Assert.True(stack.App.ResourceNotifications.TryGetCurrentState("web", out var web), "web has no state");

        var environment = web.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value ?? "");

        Assert.Equal("foobar_web", appLogin.UserID);
        Assert.Equal("foobardb", appLogin.Database);
        Assert.Contains("User ID=foobar_web", environment["ConnectionStrings__foobardb"]);
        Assert.DoesNotContain(environment, variable => variable.Value.Contains(root.Password));
    }

    [Fact]
    public async Task The_app_user_may_use_its_database_and_nothing_else()
    {
        await using var db = await stack.Database.OpenAsync("foobardb-web");
        try
        {
            // What the app needs: rows, and the schema of its own database (it runs its own migrations).
            await db.ExecuteAsync("CREATE TABLE grant_check (id INT PRIMARY KEY)");
            await db.ExecuteAsync("INSERT INTO grant_check VALUES (1)");
            await db.ExecuteAsync("UPDATE grant_check SET id = 2");
            await db.ExecuteAsync("DELETE FROM grant_check");
            await db.ExecuteAsync("ALTER TABLE grant_check ADD COLUMN note TEXT");

            // What it must not do.
            await AssertDeniedAsync(db, "DROP TABLE grant_check");
            await AssertDeniedAsync(db, "CREATE DATABASE other_app");
            await AssertDeniedAsync(db, "SELECT user FROM mysql.user");
            await AssertDeniedAsync(db, "CREATE USER intruder IDENTIFIED BY 'x'");
            await AssertDeniedAsync(db, "GRANT SELECT ON foobardb.* TO foobar_web");
        }
        finally
        {
            // Root tidies up, whatever failed: the app user cannot drop tables.
            await using var root = await stack.Database.OpenAsync();
            await root.ExecuteAsync("DROP TABLE IF EXISTS grant_check");
        }
    }

    private static async Task AssertDeniedAsync(MySqlConnection connection, string sql)
    {
        var error = await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteAsync(sql));
        Assert.True(error.ErrorCode is MySqlErrorCode.DatabaseAccessDenied or MySqlErrorCode.TableAccessDenied
                or MySqlErrorCode.SpecifiedAccessDeniedError or MySqlErrorCode.AccessDenied,
            $"'{sql}' failed for another reason than a missing right: {error.ErrorCode} {error.Message}");
    }
}
