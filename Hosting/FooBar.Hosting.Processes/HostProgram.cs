using System.ComponentModel;
using System.Diagnostics;

namespace FooBar.Hosting.Processes;

/// <summary>What a program said: its exit code (-1 when it could not start or finish), and its output and errors together.</summary>
internal sealed record ProgramResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// The one way FooBar runs a program on this machine (the Docker CLI from the AppHost and the tests, <c>ip</c> from the
/// tests): arguments passed as they are (no shell), bounded in time, output and errors together, and a program that
/// cannot start or finish reported as a result rather than thrown.
/// </summary>
internal static class HostProgram
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> for at most <paramref name="timeout"/> (30 s when null);
    /// <paramref name="standardInput"/> is written to its stdin, and <paramref name="environment"/> is added to its environment
    /// (for values that must not appear in a command line). <paramref name="whenMissing"/> says where the program comes from,
    /// for when it cannot be started.
    /// </summary>
    public static async Task<ProgramResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken,
        TimeSpan? timeout = null, string? standardInput = null, IReadOnlyDictionary<string, string>? environment = null, string? whenMissing = null)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
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
            return new(-1, $"{fileName} could not be started ({ex.Message}){(whenMissing is null ? "" : $"; {whenMissing}")}");
        }

        var limit = timeout ?? DefaultTimeout;
        using (process)
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bounded.CancelAfter(limit);
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(bounded.Token);
                var stderr = process.StandardError.ReadToEndAsync(bounded.Token);
                if (standardInput is not null)
                {
                    try
                    {
                        await process.StandardInput.WriteAsync(standardInput.AsMemory(), bounded.Token);
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // The program exited without reading (no such container, say): its exit code and output say why.
                    }
                }
                await process.WaitForExitAsync(bounded.Token);
                return new(process.ExitCode, await stdout + await stderr);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return new(-1, $"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish within {limit.TotalSeconds:0} s");
            }
        }
    }
}
