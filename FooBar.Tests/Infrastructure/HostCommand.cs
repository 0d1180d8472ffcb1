using System.ComponentModel;
using System.Diagnostics;

namespace FooBar.Tests.Infrastructure;

/// <summary>The outcome of a program the tests ran: its exit code, and its output and errors together.</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs a program on this machine with a time limit; one that cannot be started is a result (exit code -1), not an exception.</summary>
public static class HostCommand
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/>, each passed as is (no shell). <paramref name="environment"/>
    /// is added to its environment, for values that must not appear in a command line.
    /// </summary>
    public static async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(startInfo)!;
        }
        catch (Win32Exception ex)
        {
            return new CommandResult(-1, $"{fileName} could not be started: {ex.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return new CommandResult(-1, $"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s");
            }
            return new CommandResult(process.ExitCode, await stdout + await stderr);
        }
    }
}
