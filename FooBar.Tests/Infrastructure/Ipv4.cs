using System.Buffers.Binary;
using System.Net;

namespace FooBar.Tests.Infrastructure;

/// <summary>IPv4 arithmetic for picking and routing the tests' own addresses.</summary>
public static class Ipv4
{
    public static uint ToNumber(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    public static IPAddress FromNumber(uint number)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, number);
        return new IPAddress(bytes);
    }

    public static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    /// <summary>The first address of the network <paramref name="address"/> is on.</summary>
    public static IPAddress Network(IPAddress address, int prefixLength) => FromNumber(ToNumber(address) & Mask(prefixLength));

    /// <summary>Whether two networks share any address.</summary>
    public static bool Overlap(IPAddress a, int aPrefix, IPAddress b, int bPrefix)
    {
        var shorter = Math.Min(aPrefix, bPrefix);
        return (ToNumber(a) & Mask(shorter)) == (ToNumber(b) & Mask(shorter));
    }
}
