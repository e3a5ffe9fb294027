using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// Which locals of a function hold a wait status (written by wait/waitpid/wait3/wait4 through out, ref or a
/// pointer), which hold a wait's return value (a pid), and which of them the function checks. PSX2003 asks.
/// </summary>
internal sealed class WaitStatuses
{
    public static readonly ImmutableHashSet<string> StatusWaitFunctions = PosixSurfaces.Functions("wait", "waitpid", "wait3", "wait4");

    /// <summary>The status macros, by decoder, with the check that must come first.</summary>
    public static readonly ImmutableDictionary<string, string> CheckFor = new Dictionary<string, string>
    {
        ["WEXITSTATUS"] = "WIFEXITED",
        ["WTERMSIG"] = "WIFSIGNALED",
        ["WCOREDUMP"] = "WIFSIGNALED",
        ["WSTOPSIG"] = "WIFSTOPPED",
    }.ToImmutableDictionary();

    public static readonly ImmutableHashSet<string> Macros = PosixSurfaces.Functions(
        "WEXITSTATUS", "WTERMSIG", "WCOREDUMP", "WSTOPSIG", "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED", "WIFCONTINUED");

    private readonly HashSet<ILocalSymbol> _statuses = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _returnValues = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _otherwiseAssigned = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILocalSymbol, HashSet<string>> _macroChecks = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _handChecked = new(SymbolEqualityComparer.Default);

    private WaitStatuses()
    {
    }

    /// <summary>One pass over the function (lambda, local function or member body) that contains <paramref name="operation"/>.</summary>
    public static WaitStatuses Of(IOperation operation, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        var root = ReapLoops.EnclosingFunction(operation) ?? RootOf(operation);
        var result = new WaitStatuses();
        foreach (var descendant in root.Descendants())
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
                case IBinaryOperation binary:
                    result.AddHandCheck(binary, cancellationToken);
                    break;
                case IIsPatternOperation { Value: var tested } when SignalValues.SkipConversions(tested) is ILocalReferenceOperation local:
                    result._handChecked.Add(local.Local);
                    break;
            }
        }

        return result;
    }

    /// <summary>The local holds the status a wait wrote, and nothing else.</summary>
    public bool IsStatus(ILocalSymbol local) => _statuses.Contains(local) && !_otherwiseAssigned.Contains(local) && !_returnValues.Contains(local);

    /// <summary>The local holds only what wait calls returned: pids, not statuses.</summary>
    public bool IsReturnValue(ILocalSymbol local) => _returnValues.Contains(local) && !_otherwiseAssigned.Contains(local) && !_statuses.Contains(local);

    /// <summary>The function calls the check macro on the local somewhere (any shape: the rule then trusts it).</summary>
    public bool HasMacroCheck(ILocalSymbol local, string check)
        => _macroChecks.TryGetValue(local, out var checks) && checks.Contains(check);

    /// <summary>The function tests the local by hand somewhere: masks it with 0x7f, compares it whole, or matches a pattern.</summary>
    public bool HasHandCheck(ILocalSymbol local) => _handChecked.Contains(local);

    private void AddCall(IInvocationOperation invocation, string function)
    {
        if (StatusWaitFunctions.Contains(function))
        {
            var ordinal = function is "wait" or "wait3" ? 0 : 1;
            if (StatusLocal(SignalValues.Argument(invocation, ordinal)) is { } status)
            {
                _statuses.Add(status);
            }
        }
        else if (Macros.Contains(function) && function.StartsWith("WIF", System.StringComparison.Ordinal)
            && SignalValues.SkipConversions(SignalValues.Argument(invocation, 0)) is ILocalReferenceOperation checkedLocal)
        {
            if (!_macroChecks.TryGetValue(checkedLocal.Local, out var checks))
            {
                checks = new HashSet<string>(System.StringComparer.Ordinal);
                _macroChecks.Add(checkedLocal.Local, checks);
            }

            checks.Add(function);
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

    private void AddHandCheck(IBinaryOperation binary, CancellationToken cancellationToken)
    {
        // `status & 0x7f` (the WIFEXITED/WIFSIGNALED mask), or the whole status compared with anything.
        if (binary.OperatorKind == BinaryOperatorKind.And)
        {
            foreach (var (side, other) in new[] { (binary.LeftOperand, binary.RightOperand), (binary.RightOperand, binary.LeftOperand) })
            {
                if (SignalValues.SkipConversions(side) is ILocalReferenceOperation local
                    && SignalValues.SkipConversions(other)?.ConstantValue is { HasValue: true, Value: int mask } && (mask & 0x7f) == 0x7f)
                {
                    _handChecked.Add(local.Local);
                }
            }
        }
        else if (binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
        {
            foreach (var side in new[] { binary.LeftOperand, binary.RightOperand })
            {
                if (SignalValues.SkipConversions(side) is ILocalReferenceOperation local)
                {
                    _handChecked.Add(local.Local);
                }
            }
        }

        _ = cancellationToken;
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
