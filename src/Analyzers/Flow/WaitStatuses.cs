using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// Which locals of a function hold a wait status (written by wait/waitpid/wait3/wait4 through out, ref or a
/// pointer) and which hold a wait's return value (a pid). PSX2003 asks; whether a read of a status is checked on
/// every path is <see cref="WaitStatusPaths"/>' question.
/// </summary>
internal sealed class WaitStatuses
{
    private static readonly OperationKinds CallsAndWrites = new(OperationKind.Invocation, OperationKind.SimpleAssignment, OperationKind.VariableDeclarator);

    public static readonly FunctionSet StatusWaitFunctions = PosixSurfaces.Functions("wait", "waitpid", "wait3", "wait4");

    /// <summary>The status macros, by decoder, with the check that must come first.</summary>
    public static readonly ImmutableDictionary<string, string> CheckFor = new Dictionary<string, string>
    {
        ["WEXITSTATUS"] = "WIFEXITED",
        ["WTERMSIG"] = "WIFSIGNALED",
        ["WCOREDUMP"] = "WIFSIGNALED",
        ["WSTOPSIG"] = "WIFSTOPPED",
    }.ToImmutableDictionary();

    public static readonly FunctionSet Macros = PosixSurfaces.Functions(
        "WEXITSTATUS", "WTERMSIG", "WCOREDUMP", "WSTOPSIG", "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED", "WIFCONTINUED");

    private readonly HashSet<ILocalSymbol> _statuses = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _returnValues = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _otherwiseAssigned = new(SymbolEqualityComparer.Default);

    private WaitStatuses()
    {
    }

    /// <summary>One pass over the function (lambda, local function or member body) that contains <paramref name="operation"/>.</summary>
    public static WaitStatuses Of(IOperation operation, PosixSurfaces surfaces)
    {
        // Every decoder, mask and shift in a function asks about the same function: one walk each (`x & 0xff` is common).
        var root = ReapLoops.EnclosingFunction(operation) ?? RootOf(operation);
        return OperationTrees.FactsOf(root).WaitStatuses(surfaces);
    }

    internal static WaitStatuses Compute(IOperation root, PosixSurfaces surfaces)
    {
        var result = new WaitStatuses();
        foreach (var descendant in OperationTrees.Under(root, CallsAndWrites))
        {
            switch (descendant)
            {
                case IInvocationOperation invocation when surfaces.TryGetLibcCall(invocation.TargetMethod, out var call):
                    result.AddCall(invocation, call.Function);
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                    result.AddAssignment(target.Local, assignment.Value, surfaces);
                    break;
                case IVariableDeclaratorOperation { Initializer: { } initializer } declarator when !initializer.Value.ConstantValue.HasValue:
                    // `int status = 0;` before `waitpid(pid, &status, 0)` only gives it a value the wait overwrites.
                    result.AddAssignment(declarator.Symbol, initializer.Value, surfaces);
                    break;
            }
        }

        return result;
    }

    /// <summary>The local holds the status a wait wrote, and nothing else.</summary>
    public bool IsStatus(ILocalSymbol local) => _statuses.Contains(local) && !_otherwiseAssigned.Contains(local) && !_returnValues.Contains(local);

    /// <summary>The local holds only what wait calls returned: pids, not statuses.</summary>
    public bool IsReturnValue(ILocalSymbol local) => _returnValues.Contains(local) && !_otherwiseAssigned.Contains(local) && !_statuses.Contains(local);

    private void AddCall(IInvocationOperation invocation, string function)
    {
        if (StatusWaitFunctions.Contains(function))
        {
            var ordinal = function is "wait" or "wait3" ? 0 : 1;
            if (StatusLocal(OperationFacts.Argument(invocation, ordinal)) is { } status)
            {
                _statuses.Add(status);
            }
        }
    }

    private void AddAssignment(ILocalSymbol local, IOperation value, PosixSurfaces surfaces)
    {
        if (SignalValues.SkipConversions(value) is IInvocationOperation invocation
            && surfaces.TryGetLibcCall(invocation.TargetMethod, StatusWaitFunctions, out _))
        {
            _returnValues.Add(local);
        }
        else
        {
            _otherwiseAssigned.Add(local);
        }
    }

    /// <summary>The local a status argument writes: <c>out status</c>, <c>out var status</c>, <c>ref status</c>, <c>&amp;status</c>.</summary>
    private static ILocalSymbol? StatusLocal(IOperation? argument) => SignalValues.SkipConversions(argument) switch
    {
        ILocalReferenceOperation local => local.Local,
        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
        IAddressOfOperation { Reference: ILocalReferenceOperation addressed } => addressed.Local,
        _ => null,
    };

    private static IOperation RootOf(IOperation operation)
    {
        while (operation.Parent is { } parent)
        {
            operation = parent;
        }

        return operation;
    }
}
