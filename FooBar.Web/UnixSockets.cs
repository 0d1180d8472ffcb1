namespace FooBar.Web;

/// <summary>The Unix sockets the app listens on (URLs of the form <c>http://unix:/path</c>).</summary>
public static class UnixSockets
{
    private const string Prefix = "http://unix:";

    /// <summary>The paths of the Unix sockets among <paramref name="urls"/>.</summary>
    public static IEnumerable<string> Listening(IEnumerable<string> urls) =>
        urls.Where(u => u.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)).Select(u => u[Prefix.Length..]);

    /// <summary>
    /// Lets every user connect to the app's Unix sockets: Kestrel creates them with the process's umask, and the
    /// front proxy runs as its own user. Who may reach a socket is decided by the folder it is in.
    /// </summary>
    public static void AllowOtherUsers(IEnumerable<string> urls)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        foreach (var socket in Listening(urls))
        {
            File.SetUnixFileMode(socket,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        }
    }
}
