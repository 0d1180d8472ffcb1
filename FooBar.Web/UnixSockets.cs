using System.Net.Sockets;

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

    /// <summary>
    /// Removes the socket files among <paramref name="urls"/> that nothing listens on any more: a killed instance
    /// leaves its socket behind, and Kestrel will not bind over an existing file. A socket that answers belongs to a
    /// running instance and is left alone, so that Kestrel reports the clash.
    /// </summary>
    public static void RemoveAbandoned(IEnumerable<string> urls)
    {
        if (!Socket.OSSupportsUnixDomainSockets)
        {
            return;
        }
        foreach (var socket in Listening(urls).Where(File.Exists))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(socket));
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                File.Delete(socket);
            }
        }
    }
}
