using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>
/// The standard analyzer test (markup, message and span checks, AD0001 as an error) on our references, with what it
/// lacks: every descriptor forced on, CS8795 tolerated on <c>[LibraryImport]</c> partials only, re-runs under
/// <c>// &lt;auto-generated/&gt;</c> and <c>#pragma warning disable</c> that expect nothing (the standard check trusts an
/// analyzer that opts into generated code), and knobs for the few tests that need them.
/// </summary>
public sealed class PosixAnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public PosixAnalyzerTest() => PosixTestSetup.Apply(this);

    /// <summary>Sets the source under test (the standard <c>TestCode</c>).</summary>
    public string Source { set => TestCode = value; }

    /// <summary>Compiler errors tolerated in the source: for tests of incomplete code only.</summary>
    public bool AllowCompilerErrors { set => CompilerDiagnostics = value ? CompilerDiagnostics.None : CompilerDiagnostics.Errors; }

    /// <summary>Descriptors the test leaves at their default state instead of forcing them on.</summary>
    public HashSet<string> NotForcedOn { get; } = new();

    /// <summary>Analyzers run beside <typeparamref name="TAnalyzer"/>.</summary>
    public List<DiagnosticAnalyzer> AdditionalAnalyzers { get; } = new();

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => base.GetDiagnosticAnalyzers().Concat(AdditionalAnalyzers);

    protected override CompilationOptions CreateCompilationOptions() => PosixTestSetup.CompilationOptions(GetDiagnosticAnalyzers(), NotForcedOn);

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions;

    protected override bool IsCompilerDiagnosticIncluded(Diagnostic diagnostic, CompilerDiagnostics compilerDiagnostics)
        => !TestReferences.IsMissingGeneratedImplementation(diagnostic) && base.IsCompilerDiagnosticIncluded(diagnostic, compilerDiagnostics);

    /// <summary>Set on the re-runs themselves.</summary>
    internal bool IsExclusionRerun { get; set; }

    protected override DiagnosticDescriptor? GetDefaultDiagnostic(DiagnosticAnalyzer[] analyzers) => PosixTestSetup.SoleDiagnostic(analyzers);

    protected override async Task RunImplAsync(CancellationToken cancellationToken)
    {
        var analyzers = GetDiagnosticAnalyzers().ToArray();
        var original = PosixTestSetup.Snapshot(TestState);
        PosixTestSetup.ResolveMarkup(TestState, null, MarkupOptions, GetDefaultDiagnostic(analyzers), analyzers, ImmutableArray<string>.Empty, DefaultFilePath);
        await base.RunImplAsync(cancellationToken).ConfigureAwait(false);
        if (!IsExclusionRerun)
        {
            await PosixTestSetup.VerifyExclusionsAsync<TAnalyzer>(original, CompilerDiagnostics, NotForcedOn, AdditionalAnalyzers, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The standard code-fix test (one by one, Fix All in document, project and solution scope) set up as <see cref="PosixAnalyzerTest{TAnalyzer}"/>.</summary>
public sealed class PosixCodeFixTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public PosixCodeFixTest()
    {
        PosixTestSetup.Apply(this);

        // The rules report from compilation-end and per-body walks, not from the node they report on, so their
        // diagnostics are "non-local": a fix for them shows in the IDE only once full analysis has computed them.
        CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
    }

    public string Source { set => TestCode = value; }

    public bool AllowCompilerErrors { set => CompilerDiagnostics = value ? CompilerDiagnostics.None : CompilerDiagnostics.Errors; }

    public HashSet<string> NotForcedOn { get; } = new();

    public List<DiagnosticAnalyzer> AdditionalAnalyzers { get; } = new();

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => base.GetDiagnosticAnalyzers().Concat(AdditionalAnalyzers);

    protected override CompilationOptions CreateCompilationOptions() => PosixTestSetup.CompilationOptions(GetDiagnosticAnalyzers(), NotForcedOn);

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions;

    protected override bool IsCompilerDiagnosticIncluded(Diagnostic diagnostic, CompilerDiagnostics compilerDiagnostics)
        => !TestReferences.IsMissingGeneratedImplementation(diagnostic) && base.IsCompilerDiagnosticIncluded(diagnostic, compilerDiagnostics);

    protected override DiagnosticDescriptor? GetDefaultDiagnostic(DiagnosticAnalyzer[] analyzers) => PosixTestSetup.SoleDiagnostic(analyzers);

    protected override async Task RunImplAsync(CancellationToken cancellationToken)
    {
        var analyzers = GetDiagnosticAnalyzers().ToArray();
        var fixable = GetCodeFixProviders().SelectMany(f => f.FixableDiagnosticIds).Distinct().ToImmutableArray();
        var original = PosixTestSetup.Snapshot(TestState);
        PosixTestSetup.ResolveMarkup(FixedState, original, MarkupOptions, GetDefaultDiagnostic(analyzers), analyzers, fixable, DefaultFilePath);
        PosixTestSetup.ResolveMarkup(TestState, null, MarkupOptions, GetDefaultDiagnostic(analyzers), analyzers, fixable, DefaultFilePath);
        await base.RunImplAsync(cancellationToken).ConfigureAwait(false);
        await PosixTestSetup.VerifyExclusionsAsync<TAnalyzer>(original, CompilerDiagnostics, NotForcedOn, AdditionalAnalyzers, cancellationToken).ConfigureAwait(false);
    }
}

internal static class PosixTestSetup
{
    /// <summary>The forms under which no diagnostic may remain: a generated file, a blanket pragma, a [GeneratedCode] type.</summary>
    private static readonly (string Name, Func<string, string?> Apply)[] Exclusions =
    {
        ("// <auto-generated/>", source => "// <auto-generated/>\n" + source),
        ("#pragma warning disable", source => "#pragma warning disable\n" + source),
        ("[GeneratedCode] on every type", MarkTypesGenerated),
    };

    public static void Apply<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = TestReferences.ReferenceAssemblies;
        test.TestState.AdditionalReferences.AddRange(TestReferences.Default);
        test.SolutionTransforms.Add(ExecutableWhenTopLevelStatements);

        // Replaced by VerifyExclusionsAsync, which checks the same two forms without trusting the analyzer's configuration.
        test.TestBehaviors |= TestBehaviors.SkipGeneratedCodeCheck | TestBehaviors.SkipSuppressionCheck;
    }

    /// <summary>[|...|] names the rule when every descriptor under test shares one ID (variants of one rule).</summary>
    public static DiagnosticDescriptor? SoleDiagnostic(DiagnosticAnalyzer[] analyzers)
    {
        var descriptors = analyzers.SelectMany(a => a.SupportedDiagnostics).ToList();
        return descriptors.Select(d => d.Id).Distinct().Count() == 1 ? descriptors[0] : null;
    }

    /// <summary>A copy of the sources and expectations as the test wrote them, before <see cref="ResolveMarkup"/>.</summary>
    public static SolutionState Snapshot(SolutionState state)
    {
        var copy = new SolutionState("TestProject", LanguageNames.CSharp, "/0/Test", "cs") { MarkupHandling = state.MarkupHandling };
        copy.Sources.AddRange(state.Sources);
        copy.ExpectedDiagnostics.AddRange(state.ExpectedDiagnostics);
        return copy;
    }

    /// <summary>
    /// Turns markup into explicit expectations that ignore additional locations: a test names where a diagnostic is,
    /// not every related location the analyzer attaches for its fixer (the standard test would demand them all).
    /// </summary>
    public static void ResolveMarkup(
        SolutionState state, SolutionState? baseState, MarkupOptions markupOptions, DiagnosticDescriptor? defaultDiagnostic,
        DiagnosticAnalyzer[] analyzers, ImmutableArray<string> fixable, string defaultPath)
    {
        if (state.Sources.Count == 0)
        {
            return;
        }

        var processed = state.WithInheritedValuesApplied(baseState, fixable)
            .WithProcessedMarkup(markupOptions, defaultDiagnostic, analyzers.SelectMany(a => a.SupportedDiagnostics).ToImmutableArray(), fixable, defaultPath);
        state.Sources.Clear();
        state.Sources.AddRange(processed.Sources);
        state.ExpectedDiagnostics.Clear();
        state.ExpectedDiagnostics.AddRange(processed.ExpectedDiagnostics.Select(d => d.WithOptions(d.Options | DiagnosticOptions.IgnoreAdditionalLocations)));
        state.MarkupHandling = MarkupMode.None;
    }

    /// <summary>
    /// Each source again, under an auto-generated header, under a blanket <c>#pragma warning disable</c>, and with its
    /// types marked <c>[GeneratedCode]</c>: no diagnostic of the analyzers under test may remain. Skipped when the test
    /// expects none in the first place.
    /// </summary>
    public static async Task VerifyExclusionsAsync<TAnalyzer>(
        SolutionState state, CompilerDiagnostics compilerDiagnostics, ISet<string> notForcedOn, IEnumerable<DiagnosticAnalyzer> additionalAnalyzers, CancellationToken cancellationToken)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var expectsDiagnostics = state.ExpectedDiagnostics.Count > 0
            || state.Sources.Any(s => s.content.ToString() is var text && (text.Contains("[|", StringComparison.Ordinal) || text.Contains("{|", StringComparison.Ordinal)));
        if (!expectsDiagnostics)
        {
            return;
        }

        foreach (var (exclusion, apply) in Exclusions)
        {
            var sources = state.Sources.Select(s => (s.filename, Content: apply(s.content.ToString()))).ToList();
            if (sources.Any(s => s.Content is null))
            {
                continue;
            }

            var rerun = new PosixAnalyzerTest<TAnalyzer> { IsExclusionRerun = true, CompilerDiagnostics = compilerDiagnostics };
            rerun.NotForcedOn.UnionWith(notForcedOn);
            rerun.AdditionalAnalyzers.AddRange(additionalAnalyzers);
            rerun.TestState.MarkupHandling = MarkupMode.Ignore;
            foreach (var (name, content) in sources)
            {
                rerun.TestState.Sources.Add((name, content!));
            }

            try
            {
                await rerun.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new InvalidOperationException($"Diagnostics remain in the source under '{exclusion}' (expected none):\n{exception.Message}", exception);
            }
        }
    }

    /// <summary>
    /// The source, markup removed, with <c>[GeneratedCode]</c> on each outermost type; null when it has top-level
    /// statements (no type holds them) or a partial type (Roslyn does not take a type declared in several parts for
    /// generated, whatever its attributes). The driver skips every member of such a type for an analyzer that does
    /// not analyze generated code.
    /// </summary>
    private static string? MarkTypesGenerated(string source)
    {
        // Markup such as [|call()|]; at the start of a statement would throw the parser off and hide the types after it.
        TestFileMarkupParser.GetSpans(source, out string plain, out ImmutableDictionary<string, ImmutableArray<TextSpan>> _);
        var root = CSharpSyntaxTree.ParseText(plain, TestReferences.ParseOptions).GetCompilationUnitRoot();
        var types = root.DescendantNodes(node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
            .OfType<BaseTypeDeclarationSyntax>()
            .ToList();
        if (root.Members.OfType<GlobalStatementSyntax>().Any()
            || root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Any(type => type.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            return null;
        }

        var marked = plain;
        foreach (var start in types.Select(type => type.SpanStart).OrderByDescending(start => start))
        {
            marked = marked.Insert(start, "[global::System.CodeDom.Compiler.GeneratedCode(\"test\", \"1\")] ");
        }

        return marked;
    }

    /// <summary>Unsafe code and nullable on; each descriptor at its default severity even when off by default.</summary>
    public static CSharpCompilationOptions CompilationOptions(IEnumerable<DiagnosticAnalyzer> analyzers, ISet<string> notForcedOn)
        => new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(ForcedOn(analyzers, notForcedOn));

    /// <remarks>The standard test enables every supported descriptor; a test that leaves one at its default gets it
    /// suppressed when it is off by default.</remarks>
    public static ImmutableDictionary<string, ReportDiagnostic> ForcedOn(IEnumerable<DiagnosticAnalyzer> analyzers, ISet<string> notForcedOn)
        => analyzers
            .SelectMany(a => a.SupportedDiagnostics)
            .GroupBy(d => d.Id)
            .ToImmutableDictionary(
                g => g.Key,
                g => !notForcedOn.Contains(g.Key) || g.First().IsEnabledByDefault ? ToReport(g.First().DefaultSeverity) : ReportDiagnostic.Suppress);

    private static ReportDiagnostic ToReport(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => ReportDiagnostic.Error,
        DiagnosticSeverity.Warning => ReportDiagnostic.Warn,
        DiagnosticSeverity.Info => ReportDiagnostic.Info,
        _ => ReportDiagnostic.Hidden,
    };

    // Top-level statements only compile in an executable.
    private static Solution ExecutableWhenTopLevelStatements(Solution solution, ProjectId projectId)
    {
        var project = solution.GetProject(projectId)!;
        var hasTopLevelStatements = project.Documents.Any(d => d.GetSyntaxRootAsync().GetAwaiter().GetResult()!.ChildNodes().OfType<GlobalStatementSyntax>().Any());
        return hasTopLevelStatements
            ? solution.WithProjectCompilationOptions(projectId, project.CompilationOptions!.WithOutputKind(OutputKind.ConsoleApplication))
            : solution;
    }
}
