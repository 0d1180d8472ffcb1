using System.Text;
using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// The build recipe (a Dockerfile and its context, <c>images/&lt;service&gt;/</c> beside the stack file) of every image a
/// stack names, so that a deploy runs images built from this commit and nothing pulled: a project's published program on
/// the Debian base, a Dockerfile's context with the host folders <c>dotnet run</c> bind-mounts copied in, and the image
/// the model names for anything else, tagged anew.
/// </summary>
internal sealed class SwarmImageRecipes(string imagesDirectory)
{
    /// <summary>The folder a project's published program is copied from, inside its recipe.</summary>
    public const string ProgramFolder = "app";

    // What a .NET program needs of Debian (ICU for globalization, CA certificates) and what the health check runs (curl).
    private const string DotnetDependencies =
        "RUN apt-get update \\\n" +
        " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl libicu72 \\\n" +
        " && rm -rf /var/lib/apt/lists/* \\\n" +
        // The UID of .NET's own images' unprivileged user, so files and volumes made for those work here too.
        " && useradd --system --uid 1654 --no-create-home app\n";

    /// <summary>The folder of a service's recipe.</summary>
    public string Folder(string service) => Path.Combine(imagesDirectory, service);

    /// <summary>Writes the recipe of <paramref name="service"/>, run by <paramref name="resource"/>.</summary>
    public async Task WriteAsync(IResource resource, string service, IReadOnlyCollection<string> mountsLeftOut, CancellationToken cancellationToken)
    {
        var folder = Folder(service);
        Directory.CreateDirectory(folder);
        var dockerfile = resource switch
        {
            ProjectResource project => ProjectDockerfile(project),
            _ when resource.TryGetLastAnnotation<DockerfileBuildAnnotation>(out var build) => CopyContext(resource, build, folder, mountsLeftOut),
            _ => $"# The image the AppHost's model names, under the stack's own name and tag.\nFROM {ModelImage(resource)}\n",
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), dockerfile, cancellationToken);
    }

    /// <summary>Publishes a project's program (Release, self-contained: Debian packages no .NET runtime) into its recipe.</summary>
    public async Task PublishProgramAsync(ProjectResource project, string service, CancellationToken cancellationToken)
    {
        var output = Path.Combine(Folder(service), ProgramFolder);
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }
        var result = await HostProgram.RunAsync("dotnet",
            ["publish", project.GetProjectMetadata().ProjectPath, "--configuration", "Release", "--runtime", "linux-x64", "--self-contained", "--output", output, "--nologo", "--verbosity", "quiet"],
            cancellationToken, timeout: TimeSpan.FromMinutes(10), whenMissing: "the .NET SDK");
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"dotnet publish of {project.Name} failed (exit code {result.ExitCode}):\n{result.Output}");
        }
    }

    /// <summary>Writes the standalone Aspire dashboard's recipe: the dashboard's self-contained program from its package.</summary>
    public async Task WriteDashboardAsync(string service, string dashboardFolder, CancellationToken cancellationToken)
    {
        var folder = Folder(service);
        CopyFolder(dashboardFolder, Path.Combine(folder, ProgramFolder));
        // The package's program may have lost its executable bit when NuGet extracted it.
        MakeExecutable(Path.Combine(folder, ProgramFolder, "Aspire.Dashboard"));
        var script = Path.Combine(folder, "env-from-files.sh");
        await File.WriteAllTextAsync(script,
            """
            #!/bin/sh
            # NAME_FILE=/path sets NAME to the file's content, the official images' convention: a secret's value reaches the
            # program through its Docker secret file, never through the stack file.
            set -eu
            for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)_FILE=.*/\1/p'); do
                value=$(cat "$(printenv "${name}_FILE")")
                export "$name=$value"
                unset "${name}_FILE"
            done
            exec "$@"

            """.ReplaceLineEndings("\n"), cancellationToken);
        MakeExecutable(script);
        await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"),
            $"""
            # The standalone Aspire dashboard (from the Aspire.Dashboard.Sdk package), receiving the stack's telemetry.
            FROM {SwarmEnvironmentResource.BaseImage}
            {DotnetDependencies}
            COPY env-from-files.sh /usr/local/bin/env-from-files
            COPY {ProgramFolder}/ /app/
            WORKDIR /app
            USER 1654
            ENTRYPOINT ["env-from-files", "/app/Aspire.Dashboard"]

            """.ReplaceLineEndings("\n"), cancellationToken);
    }

    /// <summary>Writes the recipe of <paramref name="service"/> as a copy of a recipe folder of the repository.</summary>
    public void WriteFromFolder(string service, string recipeFolder) => CopyFolder(recipeFolder, Folder(service));

    private string ProjectDockerfile(ProjectResource project)
    {
        var program = Path.GetFileNameWithoutExtension(project.GetProjectMetadata().ProjectPath);
        return $"""
            # {program}, published Release and self-contained by the publish step into {ProgramFolder}/.
            FROM {SwarmEnvironmentResource.BaseImage}
            {DotnetDependencies}
            COPY {ProgramFolder}/ /app/
            WORKDIR /app
            USER 1654
            ENTRYPOINT ["/app/{program}"]

            """.ReplaceLineEndings("\n");
    }

    // The Dockerfile's context as it is, and the host folders that `dotnet run` bind-mounts, copied into the image.
    private static string CopyContext(IResource resource, DockerfileBuildAnnotation build, string folder, IReadOnlyCollection<string> mountsLeftOut)
    {
        CopyFolder(build.ContextPath, folder);
        var dockerfile = new StringBuilder(File.ReadAllText(build.DockerfilePath));
        var mounts = resource.Annotations.OfType<ContainerMountAnnotation>()
            .Where(m => m.Type == ContainerMountType.BindMount && m.Source is not null && !mountsLeftOut.Contains(m.Target))
            .ToList();
        if (mounts.Count > 0)
        {
            dockerfile.Append("\n# What `dotnet run` bind-mounts from this host, in the image (added by the AppHost's publish step).\n");
        }
        foreach (var mount in mounts)
        {
            var copy = Path.Combine("host", mount.Target.TrimStart('/'));
            CopyFolder(mount.Source!, Path.Combine(folder, copy));
            dockerfile.Append($"COPY {copy}/ {mount.Target}/\n");
        }
        File.Delete(Path.Combine(folder, Path.GetFileName(build.DockerfilePath)));
        return dockerfile.ToString();
    }

    private static string ModelImage(IResource resource)
    {
        var image = resource.Annotations.OfType<ContainerImageAnnotation>().Last();
        var reference = image.Registry is null ? image.Image : $"{image.Registry}/{image.Image}";
        return image.SHA256 is not null ? $"{reference}@sha256:{image.SHA256}" : $"{reference}:{image.Tag ?? "latest"}";
    }

    // COPY keeps a file's mode (without BuildKit there is no --chmod); Windows has no modes to keep.
    private static void MakeExecutable(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
