using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting.Nginx;

/// <summary>
/// The image the front doors run, built from nginx's recipe by the AppHost before a door starts, as Aspire builds a
/// container's <c>WithDockerfile</c> image: the recipe is read again at every start, so an edit reaches the next door
/// that starts (a rolling restart of the doors, or a crashed door started again) with no setup step.
/// Tagged with the recipe's hash, so runs of different recipes on one engine (worktrees, a test beside a developer's run)
/// never replace each other's image, and an unchanged recipe is not built again.
/// </summary>
internal sealed class NginxFrontDoorImage(DockerfileBuildAnnotation recipe)
{
    private const string Repository = "foobar/nginx-front-door";
    // A first build installs Debian's packages; later ones reuse Docker's layer cache.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    // Every door has its image object (one recipe each), and they share one engine: one build at a time in this process.
    private static readonly SemaphoreSlim Building = new(1, 1);
    private static readonly HashSet<string> Built = [];

    /// <summary>The recipe's own folder, which also holds the door's program (<c>front-door.sh</c>).</summary>
    internal string RecipeFolder => recipe.ContextPath;

    /// <summary>The recipe's folder, read at every start; a test points it at a changed copy of the recipe.</summary>
    internal string Folder { get; set; } = recipe.ContextPath;

    /// <summary>The image's name and tag for the recipe as it is now: <c>foobar/nginx-front-door:&lt;the recipe's hash&gt;</c>.</summary>
    public string Name => NameOf(Folder);

    /// <summary>Hashes the recipe as it is now and builds its image unless the engine has it; one build at a time for every door.</summary>
    /// <returns>The image's name, which the door that is starting runs.</returns>
    public async Task<string> EnsureBuiltAsync(ILogger logger, CancellationToken cancellationToken)
    {
        await Building.WaitAsync(cancellationToken);
        try
        {
            var folder = Folder;
            var name = NameOf(folder);
            if (!Built.Contains(name) && !(await DockerCli.RunAsync(["image", "inspect", "--format", "{{.Id}}", name], cancellationToken)).Succeeded)
            {
                logger.LogInformation("Building {Image} from {Recipe}", name, folder);
                var started = TimeProvider.System.GetTimestamp();
                var dockerfile = Path.Combine(folder, Path.GetRelativePath(recipe.ContextPath, recipe.DockerfilePath));
                var (exitCode, output) = await DockerCli.RunAsync(
                    ["build", "--quiet", "--tag", name, "--file", dockerfile, folder], cancellationToken, timeout: BuildTimeout);
                if (exitCode != 0)
                {
                    throw new InvalidOperationException($"Building {name} from {folder} failed: {output.Trim()}");
                }
                logger.LogInformation("Built {Image} in {Seconds:0} s", name, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
            }
            Built.Add(name);
            return name;
        }
        finally
        {
            Building.Release();
        }
    }

    private static string NameOf(string folder) => $"{Repository}:{RecipeHash(folder)}";

    // Every file's path and content, in a fixed order: the recipe as docker build would read it.
    private static string RecipeHash(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file) + "\0"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
