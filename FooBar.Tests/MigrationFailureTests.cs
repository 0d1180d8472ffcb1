using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>A migration that fails stops the app's start-up with a message that says which and why.</summary>
[Collection(OutageCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class MigrationFailureTests(OutageStackFixture stack)
{
    private const string Version = "0002_create_fortune";

    [Fact]
    public async Task A_failing_migration_stops_start_up_with_a_clear_error_and_applies_once_fixed()
    {
        var fixedAndHealthy = false;
        await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StopCommand);
        try
        {
            // Make 0002 due again and certain to fail: its table exists, in a shape it did not create.
            await stack.Database.ExecuteAsync(
                "DROP TABLE fortune",
                $"DELETE FROM schema_migrations WHERE version = '{Version}'",
                "CREATE TABLE fortune (squatter INT)");

            var started = DateTime.UtcNow;
            await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
            // The run that was just started has ended (not the stop before it).
            var stopped = await stack.App.ResourceNotifications.WaitForResourceAsync("web",
                e => e.Snapshot.StopTimeStamp > started && e.Snapshot.State?.Text is "Exited" or "Finished" or "FailedToStart")
                .WaitAsync(TimeSpan.FromMinutes(2));

            Assert.NotEqual(0, stopped.Snapshot.ExitCode);
            Assert.Contains(await stack.App.LogLinesAsync("web"),
                line => line.Contains($"Migration {Version} failed: Table 'fortune' already exists. Start-up stopped"));

            // Fixed, the app starts, applies the migration and serves the page that needs it.
            await stack.Database.ExecuteAsync("DROP TABLE fortune");
            await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
            await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("web").WaitAsync(TimeSpan.FromMinutes(2));
            fixedAndHealthy = true;
            using var site = stack.CreateSiteClient();
            using var fortunes = await site.GetAsync("/fortunes");
            Assert.Equal(HttpStatusCode.OK, fortunes.StatusCode);
        }
        finally
        {
            if (!fixedAndHealthy)
            {
                await RestoreAsync();
            }
        }
    }

    // Whichever step failed, the shared stack gets its migrated fortune table and a healthy web back for the tests after this one.
    private async Task RestoreAsync()
    {
        // Stopping a web that has already exited does nothing, so the command's result does not matter here.
        await stack.App.ResourceCommands.ExecuteCommandAsync(stack.App.Resource("web"), KnownResourceCommands.StopCommand);
        await stack.Database.ExecuteAsync("DROP TABLE IF EXISTS fortune", $"DELETE FROM schema_migrations WHERE version = '{Version}'");
        await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
        await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("web").WaitAsync(TimeSpan.FromMinutes(2));
    }
}
