namespace FooBar.Hosting.Processes;

/// <summary>
/// The one place FooBar runs the Docker CLI (the engine Aspire itself drives here, scripts/setup.sh), from the AppHost
/// and from the tests alike, through <see cref="HostProgram"/>: bounded in time, output and error together, a missing
/// CLI reported as a failure rather than thrown.
/// </summary>
internal static class DockerCli
{
    /// <summary>
    /// Runs <c>docker</c> with <paramref name="arguments"/>; <paramref name="standardInput"/> is written to its stdin,
    /// and <paramref name="environment"/> is added to its environment (for values that must not appear in a command line);
    /// <paramref name="timeout"/> is HostProgram's 30 s when null.
    /// </summary>
    public static Task<ProgramResult> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken,
        string? standardInput = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        HostProgram.RunAsync("docker", arguments, cancellationToken, timeout, standardInput: standardInput, environment: environment,
            // Most often no docker on PATH at all: say where it comes from rather than only the OS's words.
            whenMissing: "scripts/setup.sh installs Docker and puts its CLI on PATH");
}
