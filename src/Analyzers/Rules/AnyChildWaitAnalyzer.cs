using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2002: a wait for any child can reap a child that System.Diagnostics.Process owns.</summary>
public sealed class AnyChildWaitAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.AnyChildWait,
        "Wait for your own children by pid, not for any child",
        "'{0}' reaps {1}, even those Process owns (WaitForExit then hangs); wait for your own pids",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "wait, wait3, waitpid or wait4 with a pid of -1, 0 or below -1, and waitid with P_ALL or P_PGID reap whichever child " +
            "exits first. In .NET some of those children belong to System.Diagnostics.Process (and to any library that uses it): " +
            "the runtime waits for each of them by pid, so once user code has reaped one, Process.WaitForExit never returns or " +
            "the runtime fails fast with 'Error while reaping child. errno = 10'. Wait for the pids you started, one by one " +
            "(waitpid(pid, &status, WNOHANG) in a loop), or start children with SafePosix's ChildProcess.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.AnyChildWait));

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
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, WaitCalls.Functions, out var call)
            || WaitCalls.AnyChildTarget(invocation, call.Function, surfaces, context.CancellationToken) is not { } target)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), call.Function, target));
    }
}
