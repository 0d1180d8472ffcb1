using System.Text.RegularExpressions;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// The README and the pages in docs/ point at what is there: every relative link at a file or folder that exists (and
/// its #anchor at one of that page's headings), every scripts/… command they show at a script that exists and knows
/// the options shown with it.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed partial class DocsTests
{
    public static TheoryData<string> Pages() =>
        [.. new[] { Path.Combine(Repository.Root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Repository.Root, "docs"), "*.md", SearchOption.AllDirectories))
            .Select(page => Path.GetRelativePath(Repository.Root, page))
            .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_points_at_a_file_that_exists_and_its_anchor_at_a_heading(string page)
    {
        var path = Path.Combine(Repository.Root, page);
        var links = Links(File.ReadAllText(path)).ToList();

        Assert.NotEmpty(links);
        var broken = links.Select(link => Problem(path, link)).OfType<string>().ToList();
        Assert.True(broken.Count == 0, $"{page}: {broken.Count} broken link(s):\n{string.Join("\n", broken)}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_scripts_command_shown_exists_with_the_options_shown(string page)
    {
        var problems = new List<string>();
        foreach (Match command in ScriptCommand().Matches(File.ReadAllText(Path.Combine(Repository.Root, page))))
        {
            var script = Path.Combine(Repository.Root, command.Groups["script"].Value);
            if (!File.Exists(script) && !Directory.Exists(script))
            {
                problems.Add($"{command.Value}: {command.Groups["script"].Value} does not exist");
                continue;
            }
            if (File.Exists(script))
            {
                var source = ScriptAndWhatItRuns(script);
                problems.AddRange(command.Groups["option"].Captures.Select(option => option.Value)
                    .Where(option => !source.Contains(option, StringComparison.Ordinal))
                    .Select(option => $"{command.Value}: {command.Groups["script"].Value} does not mention {option}"));
            }
        }
        Assert.True(problems.Count == 0, $"{page}:\n{string.Join("\n", problems)}");
    }

    // A script's text and that of the scripts it names (a wrapper that hands its options to a program of scripts/).
    private static string ScriptAndWhatItRuns(string script)
    {
        var source = File.ReadAllText(script);
        var named = ScriptPath().Matches(source).Select(match => Path.Combine(Repository.Root, match.Value))
            .Where(File.Exists).Distinct().Select(File.ReadAllText);
        return string.Join("\n", named.Prepend(source));
    }

    // A link's target is missing, or its anchor names no heading of the page it points at; null when it is fine.
    private static string? Problem(string page, string link)
    {
        var (target, anchor) = link.IndexOf('#') is var hash and >= 0 ? (link[..hash], link[(hash + 1)..]) : (link, null);
        var file = target.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(target)));
        if (!File.Exists(file) && !Directory.Exists(file))
        {
            return $"({link}): {Path.GetRelativePath(Repository.Root, file)} does not exist";
        }
        if (anchor is { Length: > 0 } && file.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(file)).Contains(anchor))
        {
            return $"({link}): {Path.GetRelativePath(Repository.Root, file)} has no heading #{anchor}";
        }
        return null;
    }

    // Inline links and images, outside code: those with a scheme (https:, mailto:) are not this test's.
    private static IEnumerable<string> Links(string markdown) =>
        Link().Matches(Prose(markdown))
            .Select(match => match.Groups["target"].Value.Trim('<', '>'))
            .Where(target => !Scheme().IsMatch(target));

    // The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(Fence().Replace(markdown, "")))
        {
            var text = Link().Replace(heading.Groups["text"].Value, match => match.Groups["text"].Value);
            var slug = NotInSlug().Replace(text.Trim().ToLowerInvariant(), "").Replace(' ', '-');
            var anchor = slug;
            for (var n = 1; !anchors.Add(anchor); n++)
            {
                anchor = $"{slug}-{n}";
            }
        }
        return anchors;
    }

    // The page without its code: fenced blocks and code spans.
    private static string Prose(string markdown) => CodeSpan().Replace(Fence().Replace(markdown, ""), "");

    [GeneratedRegex(@"!?\[(?<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase)]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^#{1,6}[ \t]+(?<text>.+?)[ \t]*#*[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N}\p{Mn}\p{Pc} -]")]
    private static partial Regex NotInSlug();

    [GeneratedRegex(@"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"scripts/[\w./-]*\w")]
    private static partial Regex ScriptPath();

    // scripts/… as a command, then the options written with it on that line (--name, up to the next word that is not one).
    [GeneratedRegex(@"(?<![\w./-])(?<script>scripts/[\w./-]*[\w])(?:[ \t]+(?:(?<option>--[\w-]+)|[^\s`|#;&)]+))*")]
    private static partial Regex ScriptCommand();
}
