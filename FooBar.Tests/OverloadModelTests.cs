using System.Diagnostics;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The overload settings checked at start, without Docker: nginx's per-client limits in the model, the app's admission limits in its process.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class OverloadModelTests
{
    [Theory]
    [InlineData("FooBar:Nginx:ClientConnections", "0")]
    [InlineData("FooBar:Nginx:ClientRate", "-5")]
    [InlineData("FooBar:Nginx:ClientBurst", "many")]
    public async Task A_per_client_limit_of_zero_or_below_or_not_a_number_stops_the_AppHost_naming_the_key(string key, string value)
    {
        var error = await AppHostModel.StartupErrorAsync($"--{key}={value}");

        Assert.Contains($"{key} is '{value}'; it must be a whole number above 0", error);
    }

    [Fact]
    public async Task A_per_client_connection_limit_above_what_nginx_takes_stops_the_AppHost_naming_the_key()
    {
        var error = await AppHostModel.StartupErrorAsync("--FooBar:Nginx:ClientConnections=65536");

        Assert.Contains("FooBar:Nginx:ClientConnections is '65536'; nginx takes at most 65535", error);
    }

    [Fact]
    public async Task Configured_per_client_limits_reach_each_front_door_as_NGINX_CLIENT_variables_and_unset_ones_keep_the_images_defaults()
    {
        await using var appHost = await AppHostModel.CreateAsync("--FooBar:HighAvailability=true", "--FooBar:Nginx:ClientConnections=7", "--FooBar:Nginx:ClientRate=9");
        await using var app = await appHost.BuildAsync();

        var doors = appHost.Resources.OfType<NginxFrontDoorResource>().ToList();
        Assert.Equal(2, doors.Count);
        foreach (var door in doors)
        {
            var environment = await AppHostModel.EnvironmentAsync(app, door);
            Assert.Equal(("7", "9"), (environment["NGINX_CLIENT_CONNECTIONS"], environment["NGINX_CLIENT_RATE"]));
            Assert.False(environment.ContainsKey("NGINX_CLIENT_BURST"));
        }
    }

    [Fact]
    public async Task Each_app_instance_is_given_a_heartbeat_file_of_its_own_for_its_liveness_probe()
    {
        await using var appHost = await AppHostModel.CreateAsync("--FooBar:WebInstances=3");
        await using var app = await appHost.BuildAsync();

        var files = new List<string>();
        foreach (var web in appHost.Resources.OfType<ProjectResource>())
        {
            files.Add((await AppHostModel.EnvironmentAsync(app, web))["Liveness__HeartbeatFile"]);
        }
        Assert.Equal(3, files.Distinct().Count());
        Assert.All(files, file => Assert.True(Directory.Exists(Path.GetDirectoryName(file)), file));
    }

    [Theory]
    [InlineData("Admission__ConcurrencyLimit", "0")]
    [InlineData("Admission__QueueLimit", "-1")]
    [InlineData("Admission__WriteConcurrencyLimit", "lots")]
    public async Task An_admission_limit_of_zero_or_below_stops_the_app_at_start_naming_the_key(string variable, string value)
    {
        // The app reads its limits before it builds, so it stops before it looks for its database.
        var start = new ProcessStartInfo("dotnet", [WebAssembly()]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment[variable] = value;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using var app = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = app.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = app.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await app.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill();
            }
        }

        Assert.NotEqual(0, app.ExitCode);
        Assert.Contains($"{variable.Replace("__", ":")} is '{value}'; it must be a whole number above 0", await output + await errors);
    }

    // FooBar.Web as the AppHost runs it: its build beside the AppHost's (the same configuration).
    private static string WebAssembly()
    {
        var project = Path.GetDirectoryName(new Projects.FooBar_Web().ProjectPath)!;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        return Directory.GetFiles(Path.Combine(project, "bin", configuration), "FooBar.Web.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
    }
}
