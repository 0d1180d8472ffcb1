using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace FooBar.Tests.Infrastructure;

/// <summary>One answer read off the wire; <see cref="Status"/> is null when the server closed without answering.</summary>
public sealed record RawResponse(int? Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// Sends bytes HttpClient would refuse to send (absolute-form request lines, duplicate Host headers, unknown
/// methods, odd versions) over a socket to 127.0.0.1, and reads the whole answer until the server closes. An https
/// address gets TLS first, for <paramref name="serverName"/> (SNI) whatever the Host header says, the certificate
/// checked as any client checks it.
/// </summary>
public static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri address, byte[] request, TimeSpan timeout, string serverName = "www.foobar.com")
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", address.Port, cancel.Token);
        await using var stream = address.Scheme == Uri.UriSchemeHttps
            ? await TlsAsync(new NetworkStream(socket, ownsSocket: false), serverName, cancel.Token)
            : new NetworkStream(socket, ownsSocket: false);
        try
        {
            await stream.WriteAsync(request, cancel.Token);
        }
        catch (IOException)
        {
            // The server may answer (413, 431) and close before it has read all of a large request.
        }

        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        var headRequest = request.AsSpan().StartsWith("HEAD "u8);
        try
        {
            int read;
            // Until the answer is complete, not until the server closes: nginx may keep reading a body it discards.
            while (!IsComplete(received.GetBuffer().AsSpan(0, (int)received.Length), headRequest)
                && (read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // nginx resets a connection it closes with request bytes still unread: after an error answer, or
            // instead of the quiet close of its 444 when a body was still arriving (nothing received then).
        }
        return Parse(received.ToArray());
    }

    private static async Task<Stream> TlsAsync(Stream connection, string serverName, CancellationToken cancellationToken)
    {
        var tls = new SslStream(connection, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }, cancellationToken);
        return tls;
    }

    /// <summary>A request with <c>Connection: close</c>, so the answer ends when the connection does.</summary>
    public static byte[] Build(string requestLine, IEnumerable<(string Name, string Value)> headers, byte[]? body = null)
    {
        var head = new StringBuilder(requestLine).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (body is not null)
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }
        head.Append("Connection: close\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body ?? []];
    }

    // A complete head plus the body its Content-Length or final chunk announces; no body for HEAD, 1xx, 204, 304.
    private static bool IsComplete(ReadOnlySpan<byte> bytes, bool headRequest)
    {
        var endOfHead = bytes.IndexOf("\r\n\r\n"u8);
        if (endOfHead < 0)
        {
            return false;
        }
        var head = Encoding.Latin1.GetString(bytes[..endOfHead]);
        var body = bytes[(endOfHead + 4)..];
        var status = head.Split(' ', 3) is [_, var code, ..] && int.TryParse(code, out var parsed) ? parsed : 0;
        if (headRequest || status is (>= 100 and < 200) or 204 or 304)
        {
            return true;
        }
        var length = System.Text.RegularExpressions.Regex.Match(head, @"\r\nContent-Length:\s*(\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        if (length.Success)
        {
            return body.Length >= int.Parse(length.Groups[1].Value);
        }
        // Chunked ends with the zero-size chunk; anything else ends when the server closes.
        return head.Contains("chunked", StringComparison.OrdinalIgnoreCase) && (body.SequenceEqual("0\r\n\r\n"u8) || body.EndsWith("\r\n0\r\n\r\n"u8));
    }

    private static RawResponse Parse(byte[] bytes)
    {
        var endOfHead = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (endOfHead < 0 || !bytes.AsSpan().StartsWith("HTTP/"u8))
        {
            return new RawResponse(null, [], Encoding.UTF8.GetString(bytes));
        }

        var lines = Encoding.Latin1.GetString(bytes, 0, endOfHead).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1).Select(line => line.Split(':', 2))
            .Select(pair => KeyValuePair.Create(pair[0].Trim(), pair.Length > 1 ? pair[1].Trim() : "")).ToList();
        var body = bytes.AsSpan(endOfHead + 4);
        var chunked = headers.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("chunked"));
        return new RawResponse(status, headers, Encoding.UTF8.GetString(chunked ? Dechunk(body) : body));
    }

    // Size line (hex), data, CRLF, until the zero-size chunk or the end of what arrived.
    private static byte[] Dechunk(ReadOnlySpan<byte> body)
    {
        using var result = new MemoryStream();
        while (true)
        {
            var endOfSize = body.IndexOf("\r\n"u8);
            if (endOfSize < 0 || !int.TryParse(Encoding.Latin1.GetString(body[..endOfSize]).Split(';')[0].Trim(),
                    System.Globalization.NumberStyles.HexNumber, null, out var size) || size == 0)
            {
                return result.ToArray();
            }
            body = body[(endOfSize + 2)..];
            var length = Math.Min(size, body.Length);
            result.Write(body[..length]);
            body = body[Math.Min(length + 2, body.Length)..];
        }
    }
}
