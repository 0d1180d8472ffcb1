namespace FooBar.Tests.Infrastructure;

public static class Repository
{
    /// <summary>The folder that holds FooBar.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FooBar.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"FooBar.sln was not found above {AppContext.BaseDirectory}.");
    }
}
