using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2008: SIGCHLD ignored (SIG_IGN or SA_NOCLDWAIT): the kernel reaps every child, Process's included.</summary>
public sealed class SigchldIgnoredAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.SigchldIgnored,
        "Do not ignore SIGCHLD",
        "'{0}' with {1} lets the kernel reap every child: waits fail with ECHILD, Process.WaitForExit hangs",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "With SIGCHLD set to SIG_IGN, or a SIGCHLD action with SA_NOCLDWAIT, Linux reaps every child of the process the " +
            "moment it exits and keeps no exit status: waitpid for it fails with ECHILD. That includes the children of " +
            "System.Diagnostics.Process, whose WaitForExit then never sees the exit (measured on .NET 10: WaitForExit(3000) " +
            "returned false for a child that exited at once). It is the C way to avoid zombies; in .NET, reap your own " +
            "children by pid instead (waitpid in a loop, PSX2001), or use Process or SafePosix's ChildProcess.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.SigchldIgnored));

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
        var cancellationToken = context.CancellationToken;
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, SignalDispositions.Functions, out var call)
            || SignalDispositions.SignalOf(invocation, surfaces, cancellationToken) != SignalValues.SIGCHLD)
        {
            return;
        }

        string? how = null;
        if (SignalDispositions.InstallsOnly(invocation, call.Function, SignalValues.SIG_IGN, surfaces, cancellationToken))
        {
            how = "SIG_IGN";
        }
        else if (call.Function == "sigaction")
        {
            foreach (var flags in SignalDispositions.FlagsOf(invocation))
            {
                if (SignalValues.ContainsFlag(flags, SignalValues.SA_NOCLDWAIT, surfaces, cancellationToken))
                {
                    how = "SA_NOCLDWAIT";
                    break;
                }
            }
        }

        if (how is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), call.Function, how));
        }
    }
}
