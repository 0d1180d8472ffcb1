namespace FooBar.Hosting.Nginx;

/// <summary>The official image <c>AddNginx</c> runs unless it is replaced, as FooBar's AppHost does with its own recipe (<c>WithDockerfile</c>).</summary>
internal static class NginxContainerImageTags
{
    /// <remarks>docker.io</remarks>
    public const string Registry = "docker.io";

    /// <remarks>library/nginx</remarks>
    public const string Image = "library/nginx";

    /// <remarks>1.28</remarks>
    public const string Tag = "1.28";
}
