using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX4003: the byte count of a read or write is thrown away, and with it every error and short transfer.</summary>
public sealed class DiscardedByteCountAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.DiscardedByteCount,
        "Use the byte count that read and write return",
        "The result of '{0}' is discarded: errors and short transfers go unnoticed; {1}",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "write, send, sendfile and splice may transfer fewer bytes than asked: a pipe or socket buffer fills up, a " +
            "signal arrives, a file system runs out of space. read and recv return fewer bytes than the buffer holds, and " +
            "0 at end of file. All of them return -1 on failure. A call whose result is thrown away loses the rest of " +
            "the data without a trace, or treats stale buffer contents as data. Keep the count: loop until every byte " +
            "is written, and use only the bytes that were read. Assign to '_' to discard on purpose.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.DiscardedByteCount));

    private static readonly FunctionSet Functions = ByteCountFunctions.All;

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
        var invocation = (IInvocationOperation)context.Operation;
        var parent = invocation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        // Only a call used as a statement; `_ = write(...)` is a deliberate discard and stays silent, as with CA1806.
        // The project's own wrappers that return the count unchanged are the call itself; a wrapper's own body
        // returns the count, so it is not reported there.
        if (parent is not IExpressionStatementOperation
            || invocation.TargetMethod.ReturnsVoid
            || !surfaces.TryGetCallThroughWrappers(invocation.TargetMethod, Functions, out var call)
            || (call.Wrapper is null && OperationFacts.IsNoDescriptor(OperationFacts.Argument(invocation, 0))))
        {
            return;
        }

        var advice = ByteCountFunctions.Reads.Contains(call)
            ? "use only the bytes it reports"
            : call.Function.StartsWith("send", System.StringComparison.Ordinal) ? "loop until every byte is sent" : "loop until every byte is written";
        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), call.Function, advice));
    }
}
