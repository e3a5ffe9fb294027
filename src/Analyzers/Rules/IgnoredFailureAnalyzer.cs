using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX5002: results that report a failure the program cannot go on without.</summary>
public sealed class IgnoredFailureAnalyzer : DiagnosticAnalyzer
{
    public const string ShapeProperty = "Shape";
    public const string DiscardedShape = "Discarded";
    public const string FailedPidShape = "FailedPid";

    public const string UncheckedSpawnShape = "UncheckedSpawn";

    /// <summary>Present when the method also forks: a throw is wrong in a child, so the throwing fix is not offered.</summary>
    public const string ForksProperty = "Forks";

    /// <summary>Present when the call runs only in a fork child: the fix ends the child with <c>_exit(127)</c> instead.</summary>
    public const string InChildProperty = "InChild";

    /// <summary>The surface of the discarded call, for the fix's <c>_exit</c>.</summary>
    public const string SurfaceProperty = "Surface";

    private const string Title = "Check the result of calls whose failure matters";
    private const string Description =
        "Some calls fail rarely but with consequences: setuid/setgid failing leaves the process privileged; setsid, " +
        "setpgid, chdir and dup2 failing in a child about to exec runs the program with the wrong session, directory or " +
        "stdio; bind, listen and pipe failing leaves a descriptor that does not work. fork returns -1 when it fails, and " +
        "a -1 pid given to kill signals every process the user may signal, and given to waitpid reaps any child, " +
        "including the ones System.Diagnostics.Process owns. posix_spawn and posix_spawnp return the error number " +
        "instead of -1: any result other than 0 means no child was started and the pid was not set.";

    public static readonly DiagnosticDescriptor DiscardedRule = new(
        RuleIds.IgnoredFailure,
        Title,
        "The result of '{0}' is discarded, so a failure goes unnoticed; check it for -1 and throw with errno",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.IgnoredFailure));

    public static readonly DiagnosticDescriptor FailedPidRule = new(
        RuleIds.IgnoredFailure,
        Title,
        "A failed '{0}' returns -1, and {1}(-1, ...) {2}; check the pid for -1 first",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.IgnoredFailure));

    public static readonly DiagnosticDescriptor UncheckedSpawnRule = new(
        RuleIds.IgnoredFailure,
        Title,
        "'{0}' returns an error number that is never checked, so a failed spawn goes unnoticed; throw when it is not 0",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.IgnoredFailure));

    private static readonly FunctionSet SpawnFunctions = PosixSurfaces.Functions("posix_spawn", "posix_spawnp");

    private static readonly FunctionSet MustCheckFunctions = PosixSurfaces.Functions(
        "setuid", "setgid", "seteuid", "setegid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
        "setsid", "setpgid", "chdir", "fchdir", "chroot", "dup2", "dup3", "bind", "listen", "pipe", "pipe2");

    private static readonly FunctionSet DescriptorFirstFunctions = PosixSurfaces.Functions("fchdir", "dup2", "dup3", "bind", "listen");

    private static readonly FunctionSet PidFunctions = PosixSurfaces.Functions("fork", "vfork", "forkpty");

    private static readonly FunctionSet PidSinks = PosixSurfaces.Functions("kill", "killpg", "waitpid", "wait4");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiscardedRule, FailedPidRule, UncheckedSpawnRule);

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
        var method = invocation.TargetMethod;
        // The flags first: most calls that get here are imports, and the name tests hash the name three times.
        var mayMatch = method.IsExtern || method.IsPartialDefinition || method.PartialDefinitionPart is not null
            || MustCheckFunctions.Contains(method.Name) || PidFunctions.Contains(method.Name) || SpawnFunctions.Contains(method.Name)
            || surfaces.Summaries.IsWrapperCandidate(method);
        if (!mayMatch || !LibcInvocation.TryCreate(surfaces, invocation, null, context.CancellationToken, out var call))
        {
            return;
        }

        if (MustCheckFunctions.Contains(call.Call))
        {
            // bind(-1, ...) can only fail with EBADF, which is what code making it wants (Mono.Posix's tests).
            if (!call.IsWrapped && DescriptorFirstFunctions.Contains(call.Call) && OperationFacts.IsNoDescriptor(OperationFacts.Argument(invocation, 0)))
            {
                return;
            }

            if (IsDiscarded(invocation) && method.ReturnType.SpecialType != SpecialType.System_Void)
            {
                var properties = ImmutableDictionary<string, string?>.Empty
                    .Add(ShapeProperty, DiscardedShape)
                    .Add(SurfaceProperty, call.Call.Surface.ToString());
                if (ForksInBody(surfaces, invocation) is { Count: > 0 } forks)
                {
                    properties = properties.Add(ForksProperty, "true");
                    if (InEveryChild(context, surfaces, invocation, forks))
                    {
                        properties = properties.Add(InChildProperty, "true");
                    }
                }

                context.ReportDiagnostic(Diagnostic.Create(DiscardedRule, invocation.Syntax.GetLocation(), properties, call.ShownName));
            }

            return;
        }

        if (PidFunctions.Contains(call.Call))
        {
            AnalyzePid(context, surfaces, invocation, call.Call.Function);
            return;
        }

        if (SpawnFunctions.Contains(call.Call) && method.ReturnType.SpecialType != SpecialType.System_Void
            && (IsDiscarded(invocation) || IsNeverRead(context, invocation)))
        {
            context.ReportDiagnostic(Diagnostic.Create(UncheckedSpawnRule, invocation.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, UncheckedSpawnShape), call.Call.Function));
        }
    }

    /// <summary>A result kept in a local that nothing in the method reads: <c>int rc = posix_spawn(...);</c> and no test of <c>rc</c>.</summary>
    private static bool IsNeverRead(OperationAnalysisContext context, IInvocationOperation invocation)
    {
        var parent = invocation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        ILocalSymbol? local = parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target, Parent: IExpressionStatementOperation } => target.Local,
            _ => null,
        };
        if (local is null || local.IsRef)
        {
            return false;
        }

        var root = invocation;
        IOperation top = root;
        while (top.Parent is not null)
        {
            top = top.Parent;
        }

        foreach (var reference in OperationTrees.LocalReferencesUnder(top))
        {
            if (SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the call runs only in the child of every fork of the method: there a throw returns into the parent's code, and _exit is the way out.</summary>
    private static bool InEveryChild(OperationAnalysisContext context, PosixSurfaces surfaces, IInvocationOperation call, List<IInvocationOperation> forks)
    {
        var calls = surfaces.Processes;
        foreach (var fork in forks)
        {
            if (calls.AnalyzeChild(context, fork) is not { HasChildBranch: true } branch
                || ControlFlowGraphs.Find(branch.Graph, call.Syntax, context.CancellationToken) is not { } position
                || !branch.IsInChildBranch(position.Block))
            {
                return false;
            }
        }

        return true;
    }

    private static void AnalyzePid(OperationAnalysisContext context, PosixSurfaces surfaces, IInvocationOperation fork, string function)
    {
        // Declarations are assignments in the graph: `int pid = fork();` becomes `pid = fork()`.
        if (context.TryGetGraph() is not { } graph
            || ControlFlowGraphs.Find(graph, fork.Syntax, context.CancellationToken) is not { } position)
        {
            return;
        }

        var value = position.Operation.Parent;
        while (value is IConversionOperation)
        {
            value = value.Parent;
        }

        if (value is not ISimpleAssignmentOperation { Target: ILocalReferenceOperation target })
        {
            return;
        }

        var flow = CheckedBeforeUse.Analyze(position, target.Local, reference => Classify(surfaces, reference));
        foreach (var use in flow.UncheckedUses)
        {
            if (Sink(surfaces, use) is not { } sink)
            {
                continue;
            }

            var consequence = sink is "kill" or "killpg"
                ? "signals every process you may signal"
                : "reaps any child, even those Process owns";
            context.ReportDiagnostic(Diagnostic.Create(FailedPidRule, use.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, FailedPidShape), function, sink, consequence));
        }
    }

    /// <summary>What a mention of the pid does: a test that catches -1 checks it; handing it to kill or waitpid uses it.</summary>
    private static ValueUse Classify(PosixSurfaces surfaces, IOperation reference)
    {
        var value = reference;
        while (value.Parent is IConversionOperation conversion)
        {
            value = conversion;
        }

        switch (value.Parent)
        {
            case IBinaryOperation binary when IsComparison(binary.OperatorKind):
                var other = binary.LeftOperand == value ? binary.RightOperand : binary.LeftOperand;
                var constant = new KnownIntegers(surfaces, null, default).Evaluate(other).Exact;

                // `pid == 0` tells the child from the parent; the parent side may still hold -1.
                if (binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
                {
                    return constant == 0 ? ValueUse.Neutral : ValueUse.Check;
                }

                return ValueUse.Check;
            case IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var patternValue } }:
                return new KnownIntegers(surfaces, null, default).Evaluate(patternValue).Exact == 0 ? ValueUse.Neutral : ValueUse.Check;
            case IIsPatternOperation:
                return ValueUse.Check;
            case IFlowCaptureOperation:
                // A switch (or ?:, ??) on the pid compares a captured copy: its cases may test for -1.
                return ValueUse.Check;
            case IArgumentOperation { Parent: IInvocationOperation call }:
                if (SinkOf(surfaces, call, value) is not null)
                {
                    return ValueUse.Use;
                }

                return surfaces.TryGetLibcCall(call.TargetMethod, out _) ? ValueUse.Neutral : ValueUse.Escape;
            case IReturnOperation:
            case ISimpleAssignmentOperation:
                return ValueUse.Escape;
            default:
                return ValueUse.Neutral;
        }
    }

    private static string? Sink(PosixSurfaces surfaces, IOperation use)
    {
        var value = use;
        while (value.Parent is IConversionOperation conversion)
        {
            value = conversion;
        }

        return value.Parent is IArgumentOperation { Parent: IInvocationOperation call } ? SinkOf(surfaces, call, value) : null;
    }

    /// <summary>The pid sink <paramref name="call"/> is, directly or through a wrapper, when <paramref name="value"/> is its pid argument.</summary>
    private static string? SinkOf(PosixSurfaces surfaces, IInvocationOperation call, IOperation value)
        => LibcInvocation.MayBe(surfaces, call.TargetMethod, PidSinks)
            && LibcInvocation.TryCreate(surfaces, call, PidSinks, default, out var sink)
            && sink.Argument(0) is { } pid
            && ReferenceEquals(pid, value)
                ? sink.Call.Function
                : null;

    private static bool IsComparison(BinaryOperatorKind kind) => kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
        or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual;

    private static bool IsDiscarded(IInvocationOperation invocation)
    {
        var parent = invocation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent is IExpressionStatementOperation
            || parent is ISimpleAssignmentOperation { Target: IDiscardOperation, Parent: IExpressionStatementOperation };
    }

    private static List<IInvocationOperation> ForksInBody(PosixSurfaces surfaces, IOperation operation)
    {
        var forks = new List<IInvocationOperation>();
        var root = operation;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var call in OperationTrees.InvocationsWithSelf(root))
        {
            if (surfaces.TryGetCallThroughWrappers(call.TargetMethod, PidFunctions, out _))
            {
                forks.Add(call);
            }
        }

        return forks;
    }
}
