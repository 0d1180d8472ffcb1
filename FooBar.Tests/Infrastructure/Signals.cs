using FooBar.Hosting.Processes;

namespace FooBar.Tests.Infrastructure;

/// <summary>Signals a process can neither catch nor ignore, such as STOP and CONT, sent through kill(1).</summary>
public static class Signals
{
    public static async Task SendAsync(string signal, int pid)
    {
        var kill = await HostProgram.RunAsync("kill", [$"-{signal}", $"{pid}"], CancellationToken.None, TimeSpan.FromSeconds(10));
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {pid} exited with {kill.ExitCode}: {kill.Output}");
    }

    /// <summary>Lets a stopped process go on, unless it has been ended meanwhile (as a liveness probe ends a hung one).</summary>
    public static async Task ContinueIfAliveAsync(int pid)
    {
        if (File.Exists($"/proc/{pid}/stat"))
        {
            await HostProgram.RunAsync("kill", ["-CONT", $"{pid}"], CancellationToken.None, TimeSpan.FromSeconds(10));
        }
    }
}
