namespace FooBar.Hosting.Programs;

/// <summary>
/// A folder of this AppHost run's own on the host, for files a container reads through a bind mount (a project's
/// Unix sockets, nginx's upstream list); removed when the AppHost exits. Short (a socket path must fit in 108
/// bytes) and readable by other users, because nginx's workers run as www-data.
/// </summary>
internal sealed class RunFolder
{
    private RunFolder(string path) => Path = path;

    public string Path { get; }

    public static RunFolder Create(string name)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"foobar-{name}-{Guid.NewGuid().ToString("N")[..12]}");
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

    public string File(string name) => System.IO.Path.Combine(Path, name);
}
