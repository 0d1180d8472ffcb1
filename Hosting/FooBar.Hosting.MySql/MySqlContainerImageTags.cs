namespace FooBar.Hosting.MySql;

/// <summary>The official image <c>AddMySql</c> runs unless configuration names another (<c>WithImageFromConfiguration</c>).</summary>
internal static class MySqlContainerImageTags
{
    /// <remarks>docker.io</remarks>
    public const string Registry = "docker.io";

    /// <remarks>library/mysql</remarks>
    public const string Image = "library/mysql";

    /// <remarks>8.4</remarks>
    public const string Tag = "8.4";
}
