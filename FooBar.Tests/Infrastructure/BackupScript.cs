using FooBar.Hosting.Processes;

namespace FooBar.Tests.Infrastructure;

/// <summary>scripts/db.sh on one MySQL container, with a backup folder of its own that goes when it is disposed.</summary>
public sealed class BackupScript(Func<string> container) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>The backup folder.</summary>
    public DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("foobar-tests-backups-");

    /// <summary>Runs db.sh with <paramref name="arguments"/>, asserting that it exits with 0; what it printed, and how long it took.</summary>
    public Task<(string Output, TimeSpan Elapsed)> RunAsync(params string[] arguments) => RunAsync(0, arguments);

    /// <summary>Runs db.sh with <paramref name="arguments"/>, asserting that it exits with <paramref name="expectedExitCode"/>.</summary>
    public async Task<(string Output, TimeSpan Elapsed)> RunAsync(int expectedExitCode, params string[] arguments)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exitCode, text) = await HostProgram.RunAsync(Path.Combine(Repository.Root, "scripts", "db.sh"),
            [.. arguments, "--folder", Folder.FullName, "--container", container()], CancellationToken.None, Timeout);
        Assert.True(exitCode == expectedExitCode, $"scripts/db.sh {string.Join(' ', arguments)} exited with {exitCode}, not {expectedExitCode}:\n{text}");
        return (text, clock.Elapsed);
    }

    /// <summary>The newest backup's name, as db.sh list prints it.</summary>
    public async Task<string> NewestAsync() =>
        (await RunAsync("list")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ')[0];

    public void Dispose() => Folder.Delete(recursive: true);
}
