using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>
/// One `dotnet format analyzers` pass as the SDK runs it, rule after rule in a given order: analyze the current code
/// with the rule's analyzer, ask the fixer for actions on one diagnostic only (the first the analysis returned, which
/// changes from run to run), and Fix All in the solution with that action's equivalence key, null when that
/// diagnostic gets no action. The standard code-fix test always starts Fix All from a diagnostic that has an action,
/// so it cannot see a Fix All that depends on where it starts.
/// </summary>
public static class FormatPass
{
    public sealed record Rule(DiagnosticAnalyzer Analyzer, CodeFixProvider Fixer);

    public static Rule For<TAnalyzer, TFixer>()
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFixer : CodeFixProvider, new()
        => new(new TAnalyzer(), new TFixer());

    /// <summary>
    /// Runs the pass once for every diagnostic a rule's Fix All could start from, checks that each start gives
    /// <paramref name="expected"/>, that it compiles, and that a second pass changes nothing.
    /// </summary>
    public static async Task VerifyAsync(string source, string expected, params Rule[] rules)
    {
        var fixedOnce = await RunAsync(source, rules).ConfigureAwait(false);
        foreach (var (start, text) in fixedOnce)
        {
            Assert.True(Normalize(expected) == Normalize(text), $"Fix All started from {start} gave:\n{text}");
        }

        var document = CreateDocument(expected, rules);
        var errors = TestReferences.CompilerErrors((await document.Project.GetCompilationAsync().ConfigureAwait(false))!);
        Assert.True(errors.Count == 0, "The fixed code does not compile:\n" + string.Join("\n", errors));

        foreach (var (start, text) in await RunAsync(expected, rules).ConfigureAwait(false))
        {
            Assert.True(Normalize(expected) == Normalize(text), $"A second pass (Fix All started from {start}) changed the code:\n{text}");
        }
    }

    /// <summary><see cref="VerifyAsync"/>, and no diagnostic of the rules is left in <paramref name="expected"/>.</summary>
    public static async Task VerifyNothingLeftAsync(string source, string expected, params Rule[] rules)
    {
        await VerifyAsync(source, expected, rules).ConfigureAwait(false);
        var document = CreateDocument(expected, rules);
        foreach (var rule in rules)
        {
            var left = await AnalyzeAsync(document, rule.Analyzer).ConfigureAwait(false);
            Assert.True(left.IsEmpty, "Left after the pass:\n" + string.Join("\n", left));
        }
    }

    /// <summary>The code after one pass, for each choice of the first diagnostic of each rule (labelled by rule and line).</summary>
    public static async Task<List<(string Start, string Text)>> RunAsync(string source, IReadOnlyList<Rule> rules)
    {
        var results = new List<(string, string)>();
        await RunFromAsync(CreateDocument(source, rules), rules, 0, "", results).ConfigureAwait(false);
        return results;
    }

    private static async Task RunFromAsync(Document document, IReadOnlyList<Rule> rules, int index, string path, List<(string, string)> results)
    {
        if (index == rules.Count)
        {
            results.Add((path.Length == 0 ? "(nothing to fix)" : path, (await document.GetTextAsync().ConfigureAwait(false)).ToString()));
            return;
        }

        var rule = rules[index];
        var diagnostics = await AnalyzeAsync(document, rule.Analyzer).ConfigureAwait(false);
        if (!diagnostics.Any(d => rule.Fixer.FixableDiagnosticIds.Contains(d.Id)))
        {
            await RunFromAsync(document, rules, index + 1, path, results).ConfigureAwait(false);
            return;
        }

        foreach (var first in diagnostics)
        {
            var start = path + (path.Length == 0 ? "" : ", then ") + first.Id + " at line " + (first.Location.GetLineSpan().StartLinePosition.Line + 1);
            var fixedDocument = await FixAllAsync(document, rule.Fixer, first, diagnostics).ConfigureAwait(false);
            await RunFromAsync(fixedDocument, rules, index + 1, start, results).ConfigureAwait(false);
        }
    }

    private static async Task<Document> FixAllAsync(Document document, CodeFixProvider fixer, Diagnostic first, ImmutableArray<Diagnostic> diagnostics)
    {
        CodeAction? action = null;
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, first, (a, _) => action ??= a, CancellationToken.None)).ConfigureAwait(false);
        var provider = fixer.GetFixAllProvider();
        Assert.NotNull(provider);
        var context = new FixAllContext(document, fixer, FixAllScope.Solution, action?.EquivalenceKey, fixer.FixableDiagnosticIds,
            new FixedDiagnostics(diagnostics), CancellationToken.None);
        if (await provider!.GetFixAsync(context).ConfigureAwait(false) is not { } fixAll)
        {
            return document;
        }

        var apply = (await fixAll.GetOperationsAsync(CancellationToken.None).ConfigureAwait(false)).OfType<ApplyChangesOperation>().Single();
        return apply.ChangedSolution.GetDocument(document.Id)!;
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Document document, DiagnosticAnalyzer analyzer)
    {
        var compilation = (await document.Project.GetCompilationAsync().ConfigureAwait(false))!;
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create(analyzer), new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: false))
            .GetAnalyzerDiagnosticsAsync().ConfigureAwait(false);
        return diagnostics.Where(d => d.Location.IsInSource).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    private static Document CreateDocument(string source, IReadOnlyList<Rule> rules)
    {
        var options = PosixTestSetup.CompilationOptions(rules.Select(r => r.Analyzer), new HashSet<string>());
        var projectId = ProjectId.CreateNewId();
        var solution = new AdhocWorkspace().CurrentSolution.AddProject(ProjectInfo.Create(
            projectId, VersionStamp.Default, "TestProject", "TestProject", LanguageNames.CSharp,
            compilationOptions: options, parseOptions: TestReferences.ParseOptions, metadataReferences: TestReferences.Default));
        var documentId = DocumentId.CreateNewId(projectId);
        return solution.AddDocument(documentId, "Test0.cs", SourceText.From(source), filePath: "/0/Test0.cs").GetDocument(documentId)!;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The diagnostics of the analysis that preceded the fix, as the SDK hands them to Fix All.</summary>
    private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics.Where(d => d.Location.SourceTree?.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
    }
}
