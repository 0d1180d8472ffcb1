using System.Buffers;
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
    private const int TextLength = 22;
    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private PostKey(byte[] bytes) => Bytes = bytes;

    /// <summary>The key as stored (posts.post_key).</summary>
    public byte[] Bytes { get; }

    public static PostKey New() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>
    /// Reads a key as <see cref="ToString"/> writes it, and nothing else: exactly 22 URL-safe base64 characters, without
    /// padding or spaces. They carry 132 bits: the last one's four spare bits are zero (A, Q, g or w), so a key has one spelling.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PostKey? key)
    {
        key = null;
        if (text is not { Length: TextLength } || text.AsSpan().ContainsAnyExcept(Alphabet) || text[^1] is not ('A' or 'Q' or 'g' or 'w'))
        {
            return false;
        }
        key = new PostKey(Base64Url.DecodeFromChars(text));
        return true;
    }

    public override string ToString() => Base64Url.EncodeToString(Bytes);
}
