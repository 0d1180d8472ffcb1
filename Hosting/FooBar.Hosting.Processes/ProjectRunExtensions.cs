using Aspire.Hosting.ApplicationModel;

namespace FooBar.Hosting;

/// <summary>How a project resource runs: as its own built program, on its own port.</summary>
public static class ProjectRunExtensions
{
    /// <summary>
    /// Runs the project's built program itself instead of <c>dotnet run</c> (which stays resident as its parent,
    /// about 130 MB), and lets it listen on its HTTP endpoint's port itself, with no proxy of Aspire's in
    /// front. The program is the one built beside the AppHost, in the same configuration and framework; where it
    /// has not been built, Aspire's default <c>dotnet run</c> applies.
    /// </summary>
    /// <returns>The project resource builder.</returns>
    public static IResourceBuilder<ProjectResource> RunDirectly(this IResourceBuilder<ProjectResource> builder, string endpointName = "http")
    {
        // Without a proxy, the port the program listens on is the endpoint's port.
        builder.WithEndpoint(endpointName, endpoint => endpoint.IsProxied = false);

        var projectPath = builder.Resource.GetProjectMetadata().ProjectPath;
        var program = BuiltProgramPath(projectPath);
        // In the project's folder, as `dotnet run` would be: its content root, with wwwroot and appsettings.
        return File.Exists(program)
            ? builder.WithAnnotation(new ExecutableAnnotation { Command = program, WorkingDirectory = Path.GetDirectoryName(projectPath)! },
                ResourceAnnotationMutationBehavior.Replace)
            : builder;
    }

    /// <summary>Adds <paramref name="url"/> to the URLs the project listens on (<c>ASPNETCORE_URLS</c>), after its endpoints'.</summary>
    /// <returns>The project resource builder.</returns>
    public static IResourceBuilder<ProjectResource> WithAdditionalUrl(this IResourceBuilder<ProjectResource> builder, string url) =>
        builder.WithEnvironment(context =>
        {
            // Aspire has put the endpoints' URLs here by now; an expression, resolved when the project starts.
            context.EnvironmentVariables["ASPNETCORE_URLS"] = context.EnvironmentVariables.TryGetValue("ASPNETCORE_URLS", out var urls)
                && urls is ReferenceExpression endpoints
                ? ReferenceExpression.Create($"{endpoints};{url}")
                : url;
        });

    // The AppHost runs from <project>/bin/<configuration>/<framework>/; the project is built to the same place in its own folder.
    private static string BuiltProgramPath(string projectPath)
    {
        var outputFolder = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var programName = Path.GetFileNameWithoutExtension(projectPath) + (OperatingSystem.IsWindows() ? ".exe" : "");
        return Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", outputFolder.Parent!.Name, outputFolder.Name, programName);
    }
}
