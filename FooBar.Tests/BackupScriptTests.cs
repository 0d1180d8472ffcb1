using FooBar.Hosting.Processes;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// scripts/db.sh's checks that need no server (scripts/db/test_backups.py): its command line, backup names, the backup
/// folder, manifests, and the refusals of a truncated, corrupted or foreign backup and of a time in the future or before
/// the oldest backup, run by Python's unittest with no Docker.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class BackupScriptTests
{
    [Fact]
    public async Task The_backup_scripts_unit_tests_pass()
    {
        var tests = Path.Combine(Repository.Root, "scripts", "db");

        var (exitCode, output) = await HostProgram.RunAsync("python3", ["-m", "unittest", "discover", "-v", "-s", tests],
            CancellationToken.None, TimeSpan.FromSeconds(60), whenMissing: "Python 3 runs scripts/db.sh: apt-get install python3");

        Assert.True(exitCode == 0, $"scripts/db's unit tests failed (python3 -m unittest exited with {exitCode}):\n{output}");
        // unittest ends with "Ran N tests" and "OK"; no tests found would be a broken discovery, not a pass.
        Assert.Matches(@"(?m)^Ran [1-9]\d* tests? in ", output);
        Assert.Matches(@"(?m)^OK$", output);
    }
}
