using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>
/// PSX3005 (off by default): mmap offsets whose alignment cannot be proven either way. PSX3002 reports the ones proven
/// misaligned; this one is for code that wants every offset visibly rounded to the page size.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnprovenMmapOffsetAlignmentAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.UnprovenMmapOffsetAlignment,
        "Prove that mmap's offset is a multiple of the page size",
        "mmap offset {0} is not proven to be a multiple of the page size; round it down with the page size",
        RuleCategories.Reliability,
        DiagnosticSeverity.Info,
        isEnabledByDefault: false,
        description:
            "mmap fails with EINVAL when its offset is not a multiple of the page size. PSX3002 reports offsets proven " +
            "misaligned; this opt-in rule reports the offsets whose alignment cannot be proven either way (parameters, " +
            "fields, values computed from them), for code that wants every offset rounded visibly: offset & ~(pageSize - 1) " +
            "with pageSize from Environment.SystemPageSize, sysconf(_SC_PAGESIZE) or getpagesize().",
        helpLinkUri: RuleIds.HelpLink(RuleIds.UnprovenMmapOffsetAlignment));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.NotAnalyzed);
        context.RegisterCompilationStartAction(start =>
        {
            var surfaces = PosixSurfaces.Create(start.Compilation);
            if (!surfaces.MayCallMatchedFunction)
            {
                return;
            }

            start.RegisterOperationAction(LibcCallAction.Create(surfaces, GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces))), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces)
    {
        // The same evaluation as PSX3002: proven misaligned is PSX3002's, proven aligned is fine, the rest is ours.
        if (MisalignedMmapOffsetAnalyzer.EvaluateOffset(context, surfaces) is not { } evaluated
            || !evaluated.Value.IsUnknown
            || MisalignedMmapOffsetAnalyzer.IsPassedOnByWrapper(surfaces, context.ContainingSymbol, evaluated.Offset, context.CancellationToken))
        {
            return;
        }

        var offset = evaluated.Offset;
        context.ReportDiagnostic(Diagnostic.Create(Rule, offset.Syntax.GetLocation(), "'" + MisalignedMmapOffsetAnalyzer.Shorten(offset.Syntax.ToString()) + "'"));
    }
}
