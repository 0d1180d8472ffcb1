using System.ComponentModel;
using System.Diagnostics;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// nginx's trace exporter (nginx/lua/otel/): traceparent parsing, head sampling, the bounded queue and its
/// drop counters, the OTEL_* settings and span building, checked by its LuaJIT unit tests, with no nginx and no Docker.
/// </summary>
public sealed class NginxExporterTests
{
    [Fact]
    public async Task The_exporter_unit_tests_pass_under_LuaJIT()
    {
        var runner = Path.Combine(Repository.Root, "nginx", "lua", "test", "run.lua");

        var (exitCode, output) = await RunLuaJitAsync(runner);

        Assert.True(exitCode == 0, $"The nginx exporter's Lua tests failed (luajit {runner} exited with {exitCode}):\n{output}");
        // The runner ends with "N passed, 0 failed"; zero tests run would be a broken runner, not a pass.
        Assert.Matches(@"(?m)^[1-9]\d* passed, 0 failed$", output);
    }

    private static async Task<(int ExitCode, string Output)> RunLuaJitAsync(string script)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("luajit", [script])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                "LuaJIT, which runs the nginx exporter's unit tests, is not installed: run scripts/setup.sh --tests " +
                $"(or apt-get install luajit). Starting luajit said: {ex.Message}", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
