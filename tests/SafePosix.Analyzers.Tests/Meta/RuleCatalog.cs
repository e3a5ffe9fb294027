using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers;
using SafePosix.CodeFixes.Rules;

namespace SafePosix.Analyzers.Tests.Meta;

/// <summary>Every analyzer, fixer and rule the two shipped assemblies hold, found by reflection.</summary>
/// <remarks><see cref="Analyzers"/> are the analyzers a host loads (with [DiagnosticAnalyzer]); <see cref="RuleAnalyzers"/> each rule's own class.</remarks>
public static class RuleCatalog
{
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = typeof(RuleIds).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>
    /// Every rule's own analyzer class, shipped alone or run inside <see cref="WarningRulesAnalyzer"/>: what the rule
    /// tests verify, and what per-rule questions (which rule registers what) are asked of.
    /// </summary>
    public static ImmutableArray<DiagnosticAnalyzer> RuleAnalyzers { get; } = typeof(RuleIds).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.Namespace == "SafePosix.Analyzers.Rules")
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static ImmutableArray<CodeFixProvider> Fixers { get; } = typeof(UncheckedMmapResultFixer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>One descriptor per ID: the first one declared (variants of one rule share ID, title and severity).</summary>
    public static ImmutableArray<DiagnosticDescriptor> Rules { get; } = Analyzers
        .SelectMany(a => a.SupportedDiagnostics)
        .GroupBy(d => d.Id)
        .Select(g => g.First())
        .OrderBy(d => d.Id, StringComparer.Ordinal)
        .ToImmutableArray();

    public static ImmutableArray<DiagnosticDescriptor> AllDescriptors { get; } = Analyzers.SelectMany(a => a.SupportedDiagnostics).ToImmutableArray();

    public static string RepositoryRoot { get; } = typeof(RuleCatalog).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string PathInRepository(params string[] parts) => Path.Combine(new[] { RepositoryRoot }.Concat(parts).ToArray());

    public static bool HasFix(string id) => Fixers.Any(f => f.FixableDiagnosticIds.Contains(id));

    /// <summary>
    /// The fix column of the tables, from the rule page's "Code fix" row: "yes" when every shape the rule reports gets
    /// a fix, "some shapes" when the row names the ones that do, "no". RuleSetTests checks it against the fixers.
    /// </summary>
    public static string FixLabel(string id)
    {
        var page = File.ReadAllText(PathInRepository("docs", "rules", id + ".md"));
        var row = Regex.Match(page, @"^\| Code fix \| (?<fix>Yes|No|Some shapes: [^|\n]+) \|$", RegexOptions.Multiline);
        if (!row.Success)
        {
            throw new InvalidOperationException($"docs/rules/{id}.md needs a '| Code fix | Yes |', '| Code fix | No |' or '| Code fix | Some shapes: <which> |' row.");
        }

        var fix = row.Groups["fix"].Value;
        return fix.StartsWith("Some shapes", StringComparison.Ordinal) ? "some shapes" : fix.ToLowerInvariant();
    }

    /// <summary>The README's rule table, generated from the descriptors; a test keeps the README equal to it.</summary>
    public static string ReadmeTable()
    {
        var table = new StringBuilder();
        table.Append("| ID | Rule | Category | Severity | Fix |\n");
        table.Append("|---|---|---|---|---|\n");
        foreach (var rule in Rules)
        {
            var severity = rule.IsEnabledByDefault ? rule.DefaultSeverity.ToString() : rule.DefaultSeverity + " (off by default)";
            table.Append($"| [{rule.Id}](docs/rules/{rule.Id}.md) | {rule.Title} | {rule.Category} | {severity} | {FixLabel(rule.Id)} |\n");
        }

        return table.ToString();
    }

    public static IEnumerable<object[]> RuleIdData() => Rules.Select(r => new object[] { r.Id });
}
