using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// The dashboard's backup command runs scripts/db.sh backup, the command line's own, into the folder
/// <c>FooBar:Backups:Folder</c> names (db.sh's default, ~/.local/share/foobar/backups, when it names none).
/// </summary>
internal static class Backups
{
    public static string Script(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "scripts", "db.sh"));

    public static IReadOnlyList<string> Arguments(IConfiguration configuration) =>
        configuration["FooBar:Backups:Folder"] is { Length: > 0 } folder ? ["backup", "--folder", folder] : ["backup"];
}
