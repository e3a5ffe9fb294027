using System;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers;

/// <summary>
/// An invocation action that only acts on calls that may reach libc (<see cref="PosixSurfaces.MayReachLibc"/>): for a
/// rule whose first test is <c>TryGetLibcCall</c>, <c>TryGetCallThroughWrappers</c> or <c>LibcInvocation.TryCreate</c>.
/// On its own the action tests the call itself. A group of rules (<see cref="WarningRulesAnalyzer"/>) tests each
/// invocation once for all of its rules registered this way and calls none of them for <c>List.Add</c>,
/// <c>string.Format</c> or the project's own helpers, which are most of the calls in POSIX-heavy code too.
/// </summary>
internal sealed class LibcCallAction
{
    private LibcCallAction(PosixSurfaces surfaces, Action<OperationAnalysisContext> action)
    {
        Surfaces = surfaces;
        Action = action;
    }

    /// <summary>The surfaces whose test the action waits for.</summary>
    public PosixSurfaces Surfaces { get; }

    /// <summary>The rule's action, called only for calls that pass the test.</summary>
    public Action<OperationAnalysisContext> Action { get; }

    /// <summary>The action to register for <c>OperationKind.Invocation</c>.</summary>
    public static Action<OperationAnalysisContext> Create(PosixSurfaces surfaces, Action<OperationAnalysisContext> action)
        => new LibcCallAction(surfaces, action).Run;

    /// <summary>The filter behind an action made by <see cref="Create"/>, or null for any other action.</summary>
    public static LibcCallAction? Behind(Action<OperationAnalysisContext> action) => action.Target as LibcCallAction;

    /// <summary>Whether the operation is a call the action wants.</summary>
    public bool Wants(OperationAnalysisContext context)
        => context.Operation is IInvocationOperation invocation && Surfaces.MayReachLibc(invocation.TargetMethod);

    private void Run(OperationAnalysisContext context)
    {
        if (Wants(context))
        {
            Action(context);
        }
    }
}
