using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>Short forms for the common cases; build a <see cref="PosixAnalyzerTest{TAnalyzer}"/> or
/// <see cref="PosixCodeFixTest{TAnalyzer, TCodeFix}"/> for anything else.</summary>
public static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>An expected diagnostic of <paramref name="id"/> at its descriptor's default severity (descriptors sharing an ID agree on it).</summary>
    public static DiagnosticResult Diagnostic(string id)
        => new TAnalyzer().SupportedDiagnostics.FirstOrDefault(d => d.Id == id) is { } descriptor
            ? new DiagnosticResult(descriptor)
            : new DiagnosticResult(id, DiagnosticSeverity.Warning);

    /// <summary>One descriptor of a rule that reports several messages under one ID: its format checks WithArguments.</summary>
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new PosixAnalyzerTest<TAnalyzer> { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task CodeFixAsync<TCodeFix>(string source, string fixedSource, string? equivalenceKey = null)
        where TCodeFix : CodeFixProvider, new()
        => new PosixCodeFixTest<TAnalyzer, TCodeFix>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        }.RunAsync();
}
