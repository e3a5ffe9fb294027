using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>Short forms for the common cases; build an <see cref="AnalyzerTest"/> for anything else.</summary>
public static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => new(id);

    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest(new TAnalyzer()) { Source = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task CodeFixAsync<TCodeFix>(string source, string fixedSource, string? equivalenceKey = null)
        where TCodeFix : CodeFixProvider, new()
        => new AnalyzerTest(new TAnalyzer())
        {
            Source = source,
            FixedSource = fixedSource,
            CodeFix = new TCodeFix(),
            CodeActionEquivalenceKey = equivalenceKey,
        }.RunAsync();
}
