using System.ComponentModel;
using System.Diagnostics;

namespace FooBar.AppHost.Hosting;

/// <summary>
/// The one place FooBar runs the Docker CLI (the engine Aspire itself drives here, scripts/setup.sh), from the AppHost
/// and from the tests alike: bounded in time, output and error together, a missing CLI reported as a failure rather than thrown.
/// </summary>
internal static class DockerCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <c>docker</c> with <paramref name="arguments"/>; <paramref name="standardInput"/> is written to its stdin,
    /// and <paramref name="environment"/> is added to its environment (for values that must not appear in a command line).
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo("docker")
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
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
            // Most often no docker on PATH at all: say where it comes from rather than only the OS's words.
            return (-1, $"the docker CLI could not be started ({ex.Message}); scripts/setup.sh installs Docker and puts its CLI on PATH");
        }

        using (process)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(Timeout);
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
                if (standardInput is not null)
                {
                    try
                    {
                        await process.StandardInput.WriteAsync(standardInput.AsMemory(), timeout.Token);
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // The CLI exited without reading (no such container, say): its exit code and output say why.
                    }
                }
                await process.WaitForExitAsync(timeout.Token);
                return (process.ExitCode, await stdout + await stderr);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"docker {string.Join(' ', startInfo.ArgumentList)} did not finish within {Timeout.TotalSeconds:0} s");
            }
        }
    }
}
