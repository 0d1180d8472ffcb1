namespace Aspire.Hosting;

/// <summary>
/// A folder of this AppHost run's own for a resource's Unix sockets, removed when the AppHost exits. Short
/// (a socket path must fit in 108 bytes) and open to other users, because nginx's workers run as www-data.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class UnixSocketFolder
{
    private readonly string _path;

    private UnixSocketFolder(string path) => _path = path;

    public static UnixSocketFolder Create(string resourceName)
    {
        var path = Path.Combine(Path.GetTempPath(), $"foobar-{resourceName}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        };
        return new UnixSocketFolder(path);
    }

    public string SocketPath(string endpointName) => Path.Combine(_path, $"{endpointName}.sock");
}
