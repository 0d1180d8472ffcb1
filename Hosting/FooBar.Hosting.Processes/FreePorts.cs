using System.Net;
using System.Net.Sockets;

namespace FooBar.Hosting.Processes;

/// <summary>Ports to publish on that nothing here listens on yet.</summary>
internal static class FreePorts
{
    /// <summary>A port no one listens on at any of <paramref name="addresses"/> now, as the system picks one for the first.</summary>
    public static int OnAll(IReadOnlyList<IPAddress> addresses)
    {
        for (var attempt = 0; ; attempt++)
        {
            var listeners = new List<TcpListener>();
            try
            {
                var first = new TcpListener(addresses[0], 0);
                listeners.Add(first);
                first.Start();
                var port = ((IPEndPoint)first.LocalEndpoint).Port;
                foreach (var address in addresses.Skip(1))
                {
                    var other = new TcpListener(address, port);
                    listeners.Add(other);
                    other.Start();
                }
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
            finally
            {
                foreach (var listener in listeners)
                {
                    listener.Stop();
                }
            }
        }
    }
}
