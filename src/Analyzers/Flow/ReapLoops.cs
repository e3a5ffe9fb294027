using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>Where a wait call sits relative to loops and signal handlers: the questions PSX2001 asks.</summary>
internal static class ReapLoops
{
    private static readonly OperationKinds Loops = new(OperationKind.Loop);

    /// <summary>libc calls that block until a signal arrives: a loop around one is a signal handler written by hand.</summary>
    public static readonly FunctionSet SignalWaitFunctions = PosixSurfaces.Functions(
        "sigwait", "sigwaitinfo", "sigtimedwait", "sigsuspend", "pause", "signalfd");

    /// <summary>
    /// The function (lambda, local function or member body) that contains an operation: the nearest anonymous
    /// function or local function, else null for the member itself.
    /// </summary>
    public static IOperation? EnclosingFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>
    /// What the loops around the call (inside its own function) are: none; only loops that wait for a signal each
    /// turn (a hand-written handler thread); or some other loop, which may well run the call once per child.
    /// </summary>
    public static LoopContext LoopsAround(IOperation call, PosixSurfaces surfaces, INamedTypeSymbol? unixSignal)
    {
        var context = LoopContext.None;
        for (var current = call.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                break;
            }

            if (current is ILoopOperation loop)
            {
                if (!WaitsForASignal(loop, surfaces, unixSignal))
                {
                    return LoopContext.Loop;
                }

                context = LoopContext.SignalLoop;
            }
        }

        return context;
    }

    /// <summary>True when the body before the call contains a loop that creates children (fork, posix_spawn ...).</summary>
    public static bool FollowsALoopThatCreatesChildren(IOperation call, IOperation root, PosixSurfaces surfaces)
    {
        var start = call.Syntax.SpanStart;
        foreach (var operation in OperationTrees.Under(root, Loops))
        {
            if (operation is not ILoopOperation loop || loop.Syntax.Span.End > start)
            {
                continue;
            }

            foreach (var inner in OperationWalk.Under(loop.Body))
            {
                if (inner.Kind != OperationKind.Invocation)
                {
                    continue;
                }

                if (inner is IInvocationOperation invocation
                    && surfaces.TryGetLibcCall(invocation.TargetMethod, WaitCalls.ChildCreatingFunctions, out _))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool WaitsForASignal(ILoopOperation loop, PosixSurfaces surfaces, INamedTypeSymbol? unixSignal)
    {
        foreach (var operation in OperationWalk.Under(loop.Body))
        {
            if (operation.Kind != OperationKind.Invocation)
            {
                continue;
            }

            if (operation is not IInvocationOperation invocation)
            {
                continue;
            }

            var method = invocation.TargetMethod;
            if (unixSignal is not null && method.Name is "WaitOne" or "WaitAny"
                && SymbolEqualityComparer.Default.Equals(method.ContainingType, unixSignal))
            {
                return true;
            }

            if (surfaces.TryGetLibcCall(method, SignalWaitFunctions, out _))
            {
                return true;
            }
        }

        return false;
    }
}

internal enum LoopContext
{
    None,
    SignalLoop,
    Loop,
}
