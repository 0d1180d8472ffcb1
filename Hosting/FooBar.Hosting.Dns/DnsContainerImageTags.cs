namespace FooBar.Hosting.Dns;

/// <summary>
/// The image <c>AddDnsServer</c> names until <c>WithDockerfile</c> builds it from FooBar's recipe (<c>images/dns</c>):
/// no registry serves an NSD image under the recipe's contract.
/// </summary>
internal static class DnsContainerImageTags
{
    /// <remarks>foobar/dns</remarks>
    public const string Image = "foobar/dns";

    /// <remarks>nsd-4.6</remarks>
    public const string Tag = "nsd-4.6";
}
