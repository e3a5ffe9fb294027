using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2005 (info): a child started with posix_spawn inherits the runtime's ignored SIGPIPE.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InheritedSigpipeAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.InheritedSigpipe,
        "Reset SIGPIPE to default in children started with posix_spawn",
        "'{0}' starts a child with SIGPIPE ignored (inherited from .NET); reset it with POSIX_SPAWN_SETSIGDEF",
        RuleCategories.Reliability,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description:
            "The .NET runtime ignores SIGPIPE, and an ignored signal stays ignored across exec (measured on .NET 10: children " +
            "of posix_spawn and of Process.Start both start with SIGPIPE ignored). Programs in the child that rely on SIGPIPE " +
            "to stop when their reader goes, such as yes, cat or a shell pipeline, then get EPIPE instead, and complain " +
            "('yes: standard output: Broken pipe') or keep running. Give the child the default back: " +
            "posix_spawnattr_setsigdefault with a set containing SIGPIPE, and POSIX_SPAWN_SETSIGDEF in " +
            "posix_spawnattr_setflags (measured: the child then starts with SIGPIPE at default). SafePosix's ChildProcess does it.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.InheritedSigpipe));

    public static readonly DiagnosticDescriptor ForkExecRule = new(
        RuleIds.InheritedSigpipe,
        "Reset SIGPIPE to default in children started with posix_spawn",
        "The child of '{0}' runs '{1}' with SIGPIPE ignored (inherited from .NET); reset it to default before exec",
        RuleCategories.Reliability,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: Rule.Description.ToString(),
        helpLinkUri: RuleIds.HelpLink(RuleIds.InheritedSigpipe));

    private static readonly FunctionSet SpawnFunctions = PosixSurfaces.Functions("posix_spawn", "posix_spawnp");

    private static readonly FunctionSet ForkFunctions = PosixSurfaces.Functions("fork", "vfork", "forkpty");

    private static readonly FunctionSet ExecFunctions = PosixSurfaces.Functions(
        "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve", "execveat");

    private const int PosixSpawnSetSigDef = 0x04;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule, ForkExecRule);

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
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, out var call))
        {
            return;
        }

        if (ForkFunctions.Contains(call))
        {
            AnalyzeFork(context, invocation, call.Function, surfaces);
            return;
        }

        if (!SpawnFunctions.Contains(call))
        {
            return;
        }

        // posix_spawn(pid, path, file_actions, attrp, argv, envp)
        var attributes = SignalValues.SkipConversions(OperationFacts.Argument(invocation, 3));
        if (attributes is null)
        {
            return;
        }

        // No attributes at all (NULL): the child gets every disposition of the parent.
        var known = SignalValues.IntegerValue(attributes, surfaces, context.CancellationToken);
        var inherits = known is null ? BuiltHereWithoutSigDefault(invocation, surfaces, context) : known == 0;

        if (inherits)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), call.Function));
        }
    }

    /// <summary>
    /// fork + exec in one method, with nothing in the method that sets a signal back to default (signal or sigaction
    /// with SIG_DFL, sigprocmask-style resets are not dispositions): the exec'd program inherits the ignored SIGPIPE.
    /// </summary>
    private static void AnalyzeFork(OperationAnalysisContext context, IInvocationOperation fork, string function, PosixSurfaces surfaces)
    {
        IOperation root = fork;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        string? exec = null;
        foreach (var (invocation, call) in OperationTrees.LibcCallsUnder(root, surfaces))
        {
            if (ExecFunctions.Contains(call))
            {
                exec ??= call.Function;
            }
            else if (Flow.SignalDispositions.Functions.Contains(call)
                && Flow.SignalDispositions.SignalOf(invocation, surfaces, context.CancellationToken) is null or SignalValues.SIGPIPE
                && !Flow.SignalDispositions.InstallsOnly(invocation, call.Function, SignalValues.SIG_IGN, surfaces, context.CancellationToken))
            {
                // The child resets SIGPIPE (or some signal the rule cannot name) before exec: not judged further.
                return;
            }
        }

        if (exec is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(ForkExecRule, fork.Syntax.GetLocation(), function, exec));
        }
    }

    /// <summary>
    /// The method initializes spawn attributes (posix_spawnattr_init) but never sets a default-signal set, or sets
    /// flags that are known and lack POSIX_SPAWN_SETSIGDEF. Attributes built elsewhere are not judged.
    /// </summary>
    private static bool BuiltHereWithoutSigDefault(IInvocationOperation spawn, PosixSurfaces surfaces, OperationAnalysisContext context)
    {
        IOperation root = spawn;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        var initialized = false;
        var setsSigDefault = false;
        var flagsLackSigDef = false;
        var flagsHaveSigDef = false;
        foreach (var (invocation, call) in OperationTrees.LibcCallsUnder(root, surfaces))
        {
            switch (call.Function)
            {
                case "posix_spawnattr_init":
                    initialized = true;
                    break;
                case "posix_spawnattr_setsigdefault":
                    setsSigDefault = true;
                    break;
                case "posix_spawnattr_setflags":
                    var flags = OperationFacts.Argument(invocation, 1);
                    if (SignalValues.ContainsFlag(flags, PosixSpawnSetSigDef, surfaces, context.CancellationToken))
                    {
                        flagsHaveSigDef = true;
                    }
                    else if (SignalValues.CertainlyLacksFlag(flags, PosixSpawnSetSigDef, surfaces, context.CancellationToken))
                    {
                        flagsLackSigDef = true;
                    }

                    break;
            }
        }

        return initialized && (!setsSigDefault || (flagsLackSigDef && !flagsHaveSigDef));
    }
}
