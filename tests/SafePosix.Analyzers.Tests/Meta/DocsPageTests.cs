using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Meta;

/// <summary>The code on every rule page compiles, and does what its heading says: non-compliant code fires, compliant code does not.</summary>
public sealed class DocsPageTests
{
    public static IEnumerable<object[]> Examples()
    {
        var directory = RuleCatalog.PathInRepository("docs", "rules");
        foreach (var page in Directory.GetFiles(directory, "PSX*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(page);
            var document = Markdown.Parse(File.ReadAllText(page));
            string? section = null;
            var index = 0;
            foreach (var block in document)
            {
                if (block is HeadingBlock { Level: 2 } heading)
                {
                    section = heading.Inline?.FirstChild?.ToString();
                    index = 0;
                }
                else if (block is FencedCodeBlock { Info: "csharp" } code && section is "Non-compliant code" or "Compliant code")
                {
                    yield return new object[] { id, section, index++, string.Join("\n", code.Lines.Lines.Take(code.Lines.Count).Select(l => l.ToString())) };
                }
            }
        }
    }

    [Fact]
    public void EveryPage_HasBothKindsOfExample()
    {
        var examples = Examples().Select(e => ((string)e[0], (string)e[1])).Distinct().ToList();
        foreach (var rule in RuleCatalog.Rules)
        {
            Assert.Contains((rule.Id, "Non-compliant code"), examples);
            Assert.Contains((rule.Id, "Compliant code"), examples);
        }
    }

    [Fact]
    public void EveryPage_CitesItsSourcesJustBeforeConfigureOrSuppress()
    {
        var directory = RuleCatalog.PathInRepository("docs", "rules");
        foreach (var rule in RuleCatalog.Rules)
        {
            var document = Markdown.Parse(File.ReadAllText(Path.Combine(directory, rule.Id + ".md")));
            var headings = document.OfType<HeadingBlock>().Where(h => h.Level == 2).Select(h => h.Inline?.FirstChild?.ToString()).ToList();
            var sources = headings.IndexOf("Sources");
            Assert.True(sources >= 0, $"{rule.Id} has no '## Sources' section.");
            Assert.True(sources + 1 < headings.Count && headings[sources + 1] == "Configure or suppress",
                $"{rule.Id}: '## Sources' must come right before '## Configure or suppress'.");

            var links = document.SkipWhile(b => !(b is HeadingBlock { Level: 2 } h && h.Inline?.FirstChild?.ToString() == "Sources"))
                .Skip(1)
                .TakeWhile(b => b is not HeadingBlock { Level: 2 })
                .SelectMany(b => b.Descendants<LinkInline>())
                .Where(l => !l.IsImage && Uri.TryCreate(l.Url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
                .ToList();
            Assert.True(links.Count >= 2, $"{rule.Id}: '## Sources' cites {links.Count} absolute https link(s), at least 2 are needed.");
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_CompilesAndFiresOnlyWhenNonCompliant(string id, string section, int index, string code)
    {
        // With the runtime referenced, as a project using its helpers (the compliant code of PSX4003) would.
        var compilation = TestReferences.Compile(code, $"{id}-{section}-{index}.cs").AddReferences(TestReferences.Runtime);
        compilation = compilation.WithOptions(compilation.Options
            .WithSpecificDiagnosticOptions(RuleCatalog.Rules.Select(r => new KeyValuePair<string, ReportDiagnostic>(r.Id, ReportDiagnostic.Warn))));
        var errors = TestReferences.CompilerErrors(compilation);
        Assert.True(errors.Count == 0, $"{id} {section} #{index} does not compile:\n" + string.Join("\n", errors));

        var diagnostics = await compilation.WithAnalyzers(RuleCatalog.Analyzers).GetAnalyzerDiagnosticsAsync();
        var fired = diagnostics.Where(d => d.Id == id).ToList();
        if (section == "Non-compliant code")
        {
            Assert.True(fired.Count > 0, $"{id} non-compliant example #{index} raises no {id}.");
        }
        else
        {
            Assert.True(fired.Count == 0, $"{id} compliant example #{index} raises:\n" + string.Join("\n", fired));
        }
    }
}
