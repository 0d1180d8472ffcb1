using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace FooBar.Web.Data;

/// <summary>
/// The key a new post is stored under: 128 random bits made when the form is rendered, sent back with the post as
/// 22 URL-safe base64 characters. One key is one post, whoever sends it again and on whichever database node.
/// </summary>
public sealed class PostKey
{
    private const int Length = 16;

    private PostKey(byte[] bytes) => Bytes = bytes;

    /// <summary>The key as stored (posts.post_key).</summary>
    public byte[] Bytes { get; }

    public static PostKey New() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>
    /// Reads a key as <see cref="ToString"/> writes it, and nothing else: exactly 22 URL-safe base64 characters that
    /// decode to 16 bytes and encode back to the same text (so no two texts are one key).
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PostKey? key)
    {
        key = null;
        Span<byte> bytes = stackalloc byte[Length];
        if (text is not { Length: 22 } || !Base64Url.TryDecodeFromChars(text, bytes, out var written) || written != Length)
        {
            return false;
        }
        var candidate = new PostKey(bytes.ToArray());
        if (!string.Equals(candidate.ToString(), text, StringComparison.Ordinal))
        {
            return false;
        }
        key = candidate;
        return true;
    }

    public override string ToString() => Base64Url.EncodeToString(Bytes);
}
