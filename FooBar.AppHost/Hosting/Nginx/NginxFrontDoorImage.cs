using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Programs;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting.Nginx;

/// <summary>
/// The image the front doors run, built from nginx's recipe by the AppHost before the first door starts, as Aspire
/// builds a container's <c>WithDockerfile</c> image: an edit to the recipe reaches the next run with no setup step.
/// Tagged with the recipe's hash, so runs of different recipes on one engine (worktrees, a test beside a developer's run)
/// never replace each other's image, and an unchanged recipe is not built again.
/// </summary>
internal sealed class NginxFrontDoorImage(DockerfileBuildAnnotation recipe)
{
    private const string Repository = "foobar/nginx-front-door";
    // A first build installs Debian's packages; later ones reuse Docker's layer cache.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    private readonly Lazy<string> _name = new(() => $"{Repository}:{RecipeHash(recipe.ContextPath)}");
    private readonly SemaphoreSlim _building = new(1, 1);
    private bool _built;

    /// <summary>The image's name and tag: <c>foobar/nginx-front-door:&lt;the recipe's hash&gt;</c>.</summary>
    public string Name => _name.Value;

    /// <summary>Builds the image unless the engine has it; once for all doors, whichever starts first.</summary>
    public async Task EnsureBuiltAsync(ILogger logger, CancellationToken cancellationToken)
    {
        await _building.WaitAsync(cancellationToken);
        try
        {
            if (_built || (await DockerCli.RunAsync(["image", "inspect", "--format", "{{.Id}}", Name], cancellationToken)).Succeeded)
            {
                _built = true;
                return;
            }
            logger.LogInformation("Building {Image} from {Recipe}", Name, recipe.ContextPath);
            var started = TimeProvider.System.GetTimestamp();
            var (exitCode, output) = await DockerCli.RunAsync(
                ["build", "--quiet", "--tag", Name, "--file", recipe.DockerfilePath, recipe.ContextPath], cancellationToken, timeout: BuildTimeout);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"Building {Name} from {recipe.ContextPath} failed: {output.Trim()}");
            }
            logger.LogInformation("Built {Image} in {Seconds:0} s", Name, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
            _built = true;
        }
        finally
        {
            _building.Release();
        }
    }

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
