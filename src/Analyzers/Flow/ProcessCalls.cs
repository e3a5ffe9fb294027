using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>The calls that create, replace, end and wait for processes, on every surface.</summary>
internal sealed class ProcessCalls
{
    /// <summary>Calls that create a process from the calling one (PSX1001).</summary>
    public static readonly FunctionSet ForkFunctions = PosixSurfaces.Functions("fork", "vfork", "forkpty", "clone", "daemon");

    /// <summary>Calls that return in both processes, 0 in the child: the child branch is where the result is 0.</summary>
    public static readonly FunctionSet BranchingForkFunctions = PosixSurfaces.Functions("fork", "vfork", "forkpty");

    /// <summary>Every exec* call: it returns only when it fails (the fixer for PSX1001 rewrites a subset of them).</summary>
    public static readonly FunctionSet ExecFunctions = PosixSurfaces.Functions(
        "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve", "execveat");

    public static readonly FunctionSet SafeExitFunctions = PosixSurfaces.Functions("_exit", "_Exit");

    public static readonly FunctionSet UnsafeExitFunctions = PosixSurfaces.Functions("exit");

    public static readonly FunctionSet NoReturnFunctions = PosixSurfaces.Functions("abort");

    private readonly PosixSurfaces _surfaces;
    private readonly LibcValues _values;
    private readonly INamedTypeSymbol? _environment;
    private readonly INamedTypeSymbol? _doesNotReturn;

    public ProcessCalls(PosixSurfaces surfaces)
    {
        _surfaces = surfaces;
        _values = surfaces.Values;
        _environment = surfaces.KnownType("System.Environment");
        _doesNotReturn = surfaces.KnownType("System.Diagnostics.CodeAnalysis.DoesNotReturnAttribute");
    }

    public PosixSurfaces Surfaces => _surfaces;

    public LibcValues Values => _values;

    /// <summary>
    /// What runs in the child of the fork-like call being analyzed, on the body's cached graph; null when the body
    /// has no graph or the call is not in it (then rules say only what they can say without it).
    /// </summary>
    public ChildBranch? AnalyzeChild(OperationAnalysisContext context, IInvocationOperation fork)
    {
        if (context.TryGetGraph() is not { } graph)
        {
            return null;
        }

        // PSX1001-PSX1004 all ask this of the same fork on the same graph, which the driver caches for every
        // analyzer: find the fork in it and walk it once. Both depend only on the graph (and so the compilation)
        // and the fork; a fork the graph does not hold is remembered as null.
        var forks = GraphFacts.Of(graph).Forks;
        if (forks.TryGetValue(fork.Syntax, out var known))
        {
            return known;
        }

        var branch = ControlFlowGraphs.Find(graph, fork.Syntax, context.CancellationToken) is { Operation: IInvocationOperation } position
            ? ChildBranch.Analyze(position, this, ValueOrigins.Of(position.Graph), context.CancellationToken)
            : null;
        return forks.GetOrAdd(fork.Syntax, branch);
    }

    /// <summary>What a call does to a path of the child (see <see cref="ChildCallKind"/>).</summary>
    public ChildCallKind Classify(IInvocationOperation invocation) => Classify(invocation.TargetMethod, 0, default);

    /// <summary>As <see cref="Classify(IInvocationOperation)"/>; with <paramref name="helpers"/> false, a call into the project's own method is <see cref="ChildCallKind.Other"/> without summarizing it.</summary>
    public ChildCallKind Classify(IInvocationOperation invocation, bool helpers)
        => helpers ? Classify(invocation.TargetMethod, 0, default) : Classify(invocation.TargetMethod, MethodSummaries.MaxDepth + 1, default);

    /// <summary>What a call of <paramref name="method"/> does to a path, looking <paramref name="depth"/> source methods deep already.</summary>
    internal ChildCallKind Classify(IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (IsEnvironmentExit(method))
        {
            return ChildCallKind.UnsafeExit;
        }

        if (_surfaces.TryGetLibcCall(method, out var call) || _surfaces.Summaries.TryGetPassThrough(method, depth, out call, cancellationToken))
        {
            var function = call.Function;
            if (ExecFunctions.Contains(function))
            {
                return ChildCallKind.Exec;
            }

            if (SafeExitFunctions.Contains(function))
            {
                return ChildCallKind.SafeExit;
            }

            if (UnsafeExitFunctions.Contains(function))
            {
                return ChildCallKind.UnsafeExit;
            }

            return NoReturnFunctions.Contains(function) ? ChildCallKind.NoReturn : ChildCallKind.Other;
        }

        if (HasDoesNotReturn(method))
        {
            return ChildCallKind.NoReturn;
        }

        // The project's own helper: its summary says whether it returns, and if not, how it leaves.
        return _surfaces.Summaries.ExitOf(method, depth, cancellationToken) switch
        {
            MethodExit.SafeExit => ChildCallKind.SafeExit,
            MethodExit.UnsafeExit => ChildCallKind.UnsafeExit,
            MethodExit.Throw => ChildCallKind.Throw,
            MethodExit.NoReturn => ChildCallKind.NoReturn,
            _ => ChildCallKind.Other,
        };
    }

    /// <summary>True for a call into a source method that returns nothing: it may well end the child itself (a helper that execs and calls _exit).</summary>
    /// <summary><c>Environment.Exit</c> and <c>Environment.FailFast</c>: they end the process after running managed code.</summary>
    public bool IsEnvironmentExit(IMethodSymbol method)
        => method.Name is "Exit" or "FailFast" && _environment is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, _environment);

    /// <summary>
    /// True for a call into a method of this compilation that returns nothing and that <see cref="MethodSummaries"/>
    /// could not summarize (too long, try/catch, overridable): it may end the child itself, so rules stay silent after
    /// it. A summarized helper needs no guess: one that never returns ends the child's path where it is called.
    /// </summary>
    public bool MayNotReturn(IOperation? operation)
    {
        while (operation is IExpressionStatementOperation statement)
        {
            operation = statement.Operation;
        }

        return operation is IInvocationOperation { TargetMethod: { ReturnsVoid: true } method }
            && !method.IsExtern
            && !method.DeclaringSyntaxReferences.IsEmpty
            && !_surfaces.TryGetLibcCall(method, out _)
            && _surfaces.Summaries.ExitOf(method) == MethodExit.Unknown;
    }

    private bool HasDoesNotReturn(IMethodSymbol method)
    {
        if (_doesNotReturn is null)
        {
            return false;
        }

        foreach (var attribute in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _doesNotReturn))
            {
                return true;
            }
        }

        return false;
    }
}
