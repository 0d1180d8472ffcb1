namespace FooBar.Hosting.Processes;

/// <summary>
/// A folder of this AppHost run's own on the host, for files a container reads through a bind mount (a project's
/// Unix sockets, nginx's upstream list); removed when the AppHost exits. Short (a socket path must fit in 108
/// bytes) and readable by other users, because nginx's workers run as www-data. Its name carries the AppHost's process
/// id: a process that never ran its exit handlers (a test host is killed once its tests end) leaves folders that the
/// next AppHost removes.
/// </summary>
internal sealed class RunFolder
{
    private RunFolder(string path) => Path = path;

    public string Path { get; }

    public static RunFolder Create(string name)
    {
        _ = RemoveThoseOfEndedProcesses.Value;
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{name}-{Guid.NewGuid().ToString("N")[..12]}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        };
        return new RunFolder(path);
    }

    private const string Prefix = "foobar-";

    // Once per process, before its first folder: foobar-<pid>-… of a process that no longer runs (scripts/test.sh does the
    // same after a test run, whose test host is killed before its exit handlers).
    private static readonly Lazy<bool> RemoveThoseOfEndedProcesses = new(() =>
    {
        foreach (var folder in Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), $"{Prefix}*"))
        {
            var owner = System.IO.Path.GetFileName(folder)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(owner, out var pid) && !ProcessRuns(pid))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return true;
    });

    private static bool ProcessRuns(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);
}
