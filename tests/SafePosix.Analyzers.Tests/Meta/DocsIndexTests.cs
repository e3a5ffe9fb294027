using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace SafePosix.Analyzers.Tests.Meta;

/// <summary>docs/rules/README.md, the index of the rule pages, generated from the descriptors and each page's Surfaces row.</summary>
public sealed class DocsIndexTests
{
    private const string Begin = "<!-- index:begin -->\n";
    private const string End = "<!-- index:end -->";

    /// <summary>The index table: ID, title, default severity and fix from the analyzers; surfaces from the rule page.</summary>
    public static string IndexTable()
    {
        var table = new StringBuilder();
        table.Append("| ID | Rule | Severity | Fix | Surfaces |\n");
        table.Append("|---|---|---|---|---|\n");
        foreach (var rule in RuleCatalog.Rules)
        {
            var severity = rule.IsEnabledByDefault ? rule.DefaultSeverity.ToString() : rule.DefaultSeverity + " (off by default)";
            table.Append($"| [{rule.Id}]({rule.Id}.md) | {rule.Title} | {severity} | {RuleCatalog.FixLabel(rule.Id)} | {Surfaces(rule.Id)} |\n");
        }

        return table.ToString();
    }

    private static string Surfaces(string id)
    {
        var page = File.ReadAllText(RuleCatalog.PathInRepository("docs", "rules", id + ".md"));
        var row = Regex.Match(page, @"^\| Surfaces \| (?<surfaces>[^|\n]+) \|$", RegexOptions.Multiline);
        Assert.True(row.Success, $"docs/rules/{id}.md needs a '| Surfaces | ... |' row in its property table (the call surfaces the rule recognizes).");
        return row.Groups["surfaces"].Value;
    }

    [Fact]
    public void Index_ListsEveryRuleAsTheDescriptorsAndPagesSay()
    {
        var index = File.ReadAllText(RuleCatalog.PathInRepository("docs", "rules", "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var start = index.IndexOf(Begin, StringComparison.Ordinal);
        var stop = index.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, "docs/rules/README.md needs the table between <!-- index:begin --> and <!-- index:end -->.");
        var actual = index.Substring(start + Begin.Length, stop - start - Begin.Length);
        Assert.True(actual == IndexTable(), "docs/rules/README.md's index is out of date; it should be:\n" + IndexTable());
    }

    /// <summary>The index and the README promise one category line for every rule; a literal category would break that.</summary>
    [Fact]
    public void EveryRule_IsInTheSafePosixCategory()
    {
        Assert.All(RuleCatalog.AllDescriptors, d => Assert.Equal("SafePosix", d.Category));
    }

    [Fact]
    public void Index_LinksOnlyToPagesThatExist()
    {
        var pages = Directory.GetFiles(RuleCatalog.PathInRepository("docs", "rules"), "PSX*.md").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        Assert.Equal(RuleCatalog.Rules.Select(r => r.Id).OrderBy(i => i, StringComparer.Ordinal), pages.OrderBy(i => i, StringComparer.Ordinal));
    }
}
