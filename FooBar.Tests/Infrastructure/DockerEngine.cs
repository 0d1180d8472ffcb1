using System.Diagnostics;

namespace FooBar.Tests.Infrastructure;

/// <summary>The stack runs in containers: without a Docker engine the run fails, loudly, before anything starts.</summary>
public static class DockerEngine
{
    public static async Task RequireAsync()
    {
        var (exitCode, output) = await RunAsync("docker", "info --format {{.ServerVersion}}");
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                "No Docker engine answers `docker info`, and the FooBar stack runs in containers. " +
                "Run the tests with scripts/test.sh, which installs and starts one, or start Docker yourself. " +
                $"docker said: {output.Trim()}");
        }
    }

    public static async Task RemoveVolumeAsync(string name)
    {
        var (exitCode, output) = await RunAsync("docker", $"volume rm --force {name}");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The test volume {name} could not be removed: {output.Trim()}");
        }
    }

    /// <summary>Sends SIGKILL to a container, as a crash or a power cut would end it: no clean shutdown.</summary>
    public static async Task KillContainerAsync(string container)
    {
        var (exitCode, output) = await RunAsync("docker", $"kill {container}");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The container {container} could not be killed: {output.Trim()}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"the docker CLI could not be started: {ex.Message}");
        }
    }
}
