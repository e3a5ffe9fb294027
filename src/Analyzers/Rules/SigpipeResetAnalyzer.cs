using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2004: SIGPIPE set back to its default action, which kills the process on a write to a closed pipe.</summary>
public sealed class SigpipeResetAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.SigpipeReset,
        "Do not set SIGPIPE back to its default action",
        "'{0}' sets SIGPIPE back to default, so a closed pipe or socket kills the process; remove it and handle EPIPE",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "The .NET runtime ignores SIGPIPE before Main (CoreCLR and NativeAOT both do), so a write or send to a pipe or " +
            "socket whose reader has gone fails with EPIPE, which Stream and Socket turn into an IOException. Setting SIGPIPE " +
            "back to SIG_DFL (signal, sigaction, Mono's Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)) makes " +
            "the next such write kill the whole process without a managed exception, a dump or a log line (measured: exit " +
            "code 141). To give a child the default SIGPIPE, reset it in the child only: posix_spawnattr_setsigdefault with " +
            "POSIX_SPAWN_SETSIGDEF (PSX2005), or SafePosix's ChildProcess, which does it.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.SigpipeReset));

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
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, SignalDispositions.Functions, out var call)
            || SignalDispositions.SignalOf(invocation, surfaces, context.CancellationToken) != SignalValues.SIGPIPE
            || !SignalDispositions.InstallsOnly(invocation, call.Function, SignalValues.SIG_DFL, surfaces, context.CancellationToken))
        {
            return;
        }

        if (ResetsForAnExecdChild(invocation, surfaces))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), call.Function));
    }

    private static readonly FunctionSet ForkFunctions = PosixSurfaces.Functions("fork", "vfork", "forkpty");

    private static readonly FunctionSet ExecFunctions = PosixSurfaces.Functions(
        "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve", "execveat");

    /// <summary>
    /// The method forks and execs: a reset there is the child's reset before exec (PSX2005's advice), not the
    /// parent's. The rule does not try to tell the branches apart and stays silent.
    /// </summary>
    private static bool ResetsForAnExecdChild(IInvocationOperation reset, PosixSurfaces surfaces)
    {
        IOperation root = reset;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        bool forks = false, execs = false;
        foreach (var (_, call) in OperationTrees.LibcCallsUnder(root, surfaces))
        {
            forks |= ForkFunctions.Contains(call);
            execs |= ExecFunctions.Contains(call);
        }

        return forks && execs;
    }
}
