namespace FooBar.Hosting.Adminer;

/// <summary>
/// The image <c>WithAdminer</c> names until <c>WithDockerfile</c> builds it from FooBar's recipe (<c>images/adminer</c>):
/// the official adminer image logs in with a form, not from the environment.
/// </summary>
internal static class AdminerContainerImageTags
{
    /// <remarks>foobar/adminer</remarks>
    public const string Image = "foobar/adminer";

    /// <remarks>4.8</remarks>
    public const string Tag = "4.8";
}
