using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Analyzers;

internal static class GeneratedCode
{
    /// <summary>
    /// What every analyzer passes to <c>ConfigureGeneratedCodeAnalysis</c>: generated code is never analyzed, so no
    /// diagnostic comes from it. Without <c>Analyze</c> the driver skips every callback in a generated file (by name or
    /// <c>&lt;auto-generated&gt;</c> header) and in every member of a <c>[GeneratedCode]</c> type. <c>ReportDiagnostics</c>
    /// is set because each rule reports inside the code it was called back for, which is never generated; with
    /// <c>None</c> Roslyn would check every reported location again, and the first report in a file makes it walk
    /// that whole file for <c>[GeneratedCode]</c> declarations (half of the package's time on POSIX-dense code, see
    /// docs/performance.md). The one difference from <c>None</c>: a report on <c>#line hidden</c> lines inside a
    /// visible member is kept.
    /// </summary>
    public const GeneratedCodeAnalysisFlags NotAnalyzed = GeneratedCodeAnalysisFlags.ReportDiagnostics;
}
