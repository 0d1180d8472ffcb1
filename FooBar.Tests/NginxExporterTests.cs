using FooBar.Hosting.Processes;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// nginx's trace exporter (nginx/lua/otel/): traceparent parsing, head sampling, the bounded queue and its
/// drop counters, retrying a failed batch, the OTEL_* settings and span building, checked by its LuaJIT unit tests,
/// with no nginx and no Docker.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class NginxExporterTests
{
    [Fact]
    public async Task The_exporter_unit_tests_pass_under_LuaJIT()
    {
        var runner = Path.Combine(Repository.Root, "nginx", "lua", "test", "run.lua");

        var (exitCode, output) = await HostProgram.RunAsync("luajit", [runner], CancellationToken.None, TimeSpan.FromSeconds(60),
            whenMissing: "LuaJIT runs the nginx exporter's unit tests: run scripts/setup.sh --tests (or apt-get install luajit)");

        Assert.True(exitCode == 0, $"The nginx exporter's Lua tests failed (luajit {runner} exited with {exitCode}):\n{output}");
        // The runner ends with "N passed, 0 failed"; zero tests run would be a broken runner, not a pass.
        Assert.Matches(@"(?m)^[1-9]\d* passed, 0 failed$", output);
    }
}
