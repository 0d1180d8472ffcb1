using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FooBar.Load;

// The steady load as a program, for scripts/limits.sh and the Swarm runs: runs until SIGTERM, SIGINT or --max-seconds,
// then writes every request to --records and prints a one-line JSON summary.
var site = new Option<Uri>("--site") { Description = "nginx's address", DefaultValueFactory = _ => new Uri("https://127.0.0.1:8443"), CustomParser = result => new Uri(result.Tokens.Single().Value) };
var host = new Option<string>("--host") { Description = "the Host header every request sends", DefaultValueFactory = _ => "www.foobar.com" };
var rate = new Option<double>("--rate") { Description = $"visits a second, one in {SteadyLoad.VisitsPerPost} of them a post", DefaultValueFactory = _ => 60 };
var readers = new Option<int>("--readers") { Description = "readers, each with its own connection, besides the one writer", DefaultValueFactory = _ => 7 };
var maxSeconds = new Option<int>("--max-seconds") { Description = "the bound: it stops by itself after this long", DefaultValueFactory = _ => 600 };
var marker = new Option<string>("--post-marker") { Description = "the posts' titles are this, then \" #\" and the post's number", Required = true };
var records = new Option<FileInfo>("--records") { Description = "the CSV file every request is written to", Required = true };

var command = new RootCommand("FooBar's steady recording load: readers and a writer through nginx at a fixed rate, every request recorded.")
{
    site, host, rate, readers, maxSeconds, marker, records,
};
command.SetAction(async (arguments, stopped) =>
{
    var address = arguments.GetValue(site)!;
    var hostName = arguments.GetValue(host)!;
    var maxDuration = TimeSpan.FromSeconds(arguments.GetValue(maxSeconds));
    await using var load = SteadyLoad.Start(() => SiteClient.Create(address, hostName), arguments.GetValue(readers), writer: true, maxDuration,
        arguments.GetValue(rate), arguments.GetValue(marker));
    try
    {
        await Task.Delay(maxDuration, stopped);
    }
    catch (OperationCanceledException)
    {
    }
    var requests = await load.StopAsync();
    RecordFile.Write(arguments.GetValue(records)!.FullName, load.Started, requests);
    Console.WriteLine(JsonSerializer.Serialize(new { requests = requests.Count, skipped = load.Skipped }));
    return 0;
});
// A request under way when the stop comes is finished and recorded: up to the client's 30 s timeout.
return await command.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(1) });

/// <summary>Every request of a load as CSV, for scripts to read: its start as Unix seconds (so that they can match their own marks), what it was and what came back.</summary>
internal static class RecordFile
{
    public static void Write(string path, DateTimeOffset started, IReadOnlyList<SteadyLoad.Request> requests)
    {
        using var file = new StreamWriter(path);
        // status: the answer's, or what came instead (refused, reset, timeout ...).
        file.WriteLine("started_s,method,path,status,error,ms,retries,succeeded,post,post_id");
        foreach (var r in requests)
        {
            file.WriteLine(string.Join(',', UnixSeconds(started + r.StartedAt).ToString("0.000000", CultureInfo.InvariantCulture), r.Method, r.Path, r.Status is { } status ? ((int)status).ToString(CultureInfo.InvariantCulture) : r.Failure,
                Quoted(r.Error), r.Latency.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture), r.Retries, r.Succeeded ? 1 : 0, r.Post, r.PostId));
        }
    }

    private static double UnixSeconds(DateTimeOffset moment) => (moment - DateTimeOffset.UnixEpoch).TotalSeconds;

    private static string Quoted(string? text) => text is null ? "" : $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
