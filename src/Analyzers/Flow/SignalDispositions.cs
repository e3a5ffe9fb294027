using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// What a call that sets a signal's disposition installs: signal/sigset/bsd_signal, sigaction (through the
/// sa_handler, sa_sigaction and sa_flags written to its struct in the same body), and Mono's SetSignalAction and
/// signal. Shared by PSX2004 (SIGPIPE back to default), PSX2008 (SIGCHLD ignored) and PSX2009 (managed handlers).
/// </summary>
internal static class SignalDispositions
{
    public static readonly FunctionSet Functions = PosixSurfaces.Functions(
        "signal", "sigset", "bsd_signal", "sigaction", "SetSignalAction", "sigignore");

    private static readonly FunctionSet SignalLikeFunctions = PosixSurfaces.Functions("signal", "sigset", "bsd_signal");

    /// <summary>The signal number the call sets (first argument), if known.</summary>
    public static long? SignalOf(IInvocationOperation call, PosixSurfaces surfaces, CancellationToken cancellationToken)
        => SignalValues.IntegerValue(OperationFacts.Argument(call, 0), surfaces, cancellationToken);

    /// <summary>
    /// The handlers the call may install, as operations: the handler argument of signal-like calls, the values
    /// written to sa_handler/sa_sigaction of the sigaction struct it is given. Empty when they cannot be found.
    /// </summary>
    public static ImmutableArray<IOperation> HandlersOf(IInvocationOperation call, string function)
    {
        if (SignalLikeFunctions.Contains(function))
        {
            return OperationFacts.Argument(call, 1) is { } handler ? ImmutableArray.Create(handler) : ImmutableArray<IOperation>.Empty;
        }

        if (function == "sigaction" && StructLocal(OperationFacts.Argument(call, 1)) is { } local)
        {
            return MemberWrites(local, call, "sa_handler", "sa_sigaction");
        }

        return ImmutableArray<IOperation>.Empty;
    }

    /// <summary>The values written to the sa_flags of the sigaction struct the call is given.</summary>
    public static ImmutableArray<IOperation> FlagsOf(IInvocationOperation call)
        => StructLocal(OperationFacts.Argument(call, 1)) is { } local
            ? MemberWrites(local, call, "sa_flags")
            : ImmutableArray<IOperation>.Empty;

    /// <summary>
    /// True when every handler the call installs is the known integer <paramref name="disposition"/>
    /// (0 SIG_DFL, 1 SIG_IGN); false when any is unknown or different, or none is found.
    /// </summary>
    public static bool InstallsOnly(IInvocationOperation call, string function, long disposition, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        if (function == "SetSignalAction")
        {
            // Mono.Unix.Native.SignalAction: Default = 0, Ignore = 1, Error = 2.
            return SignalValues.IntegerValue(OperationFacts.Argument(call, 1), surfaces, cancellationToken) == disposition;
        }

        if (function == "sigignore")
        {
            return disposition == SignalValues.SIG_IGN;
        }

        var handlers = HandlersOf(call, function);
        if (handlers.IsEmpty)
        {
            return false;
        }

        foreach (var handler in handlers)
        {
            if (SignalValues.IntegerValue(handler, surfaces, cancellationToken) != disposition)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The local whose address (or reference) a sigaction call is given.</summary>
    private static ILocalSymbol? StructLocal(IOperation? argument)
    {
        var value = SignalValues.SkipConversions(argument);
        return value switch
        {
            IAddressOfOperation { Reference: ILocalReferenceOperation local } => local.Local,
            ILocalReferenceOperation { Local.Type.TypeKind: TypeKind.Struct } local => local.Local,
            _ => null,
        };
    }

    /// <summary>Values assigned to the named members of a local struct anywhere in the call's body, initializers included.</summary>
    private static ImmutableArray<IOperation> MemberWrites(ILocalSymbol local, IOperation call, params string[] members)
    {
        var root = call;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        var writes = ImmutableArray.CreateBuilder<IOperation>();
        foreach (var operation in OperationTrees.Under(root, OperationKinds.DeclarationsAndAssignments))
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation { Target: IMemberReferenceOperation member } assignment
                    when IsNamed(member, members) && IsLocal(member.Instance, local):
                    writes.Add(assignment.Value);
                    break;
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local)
                    && SignalValues.SkipConversions(declarator.Initializer?.Value) is IObjectCreationOperation { Initializer: { } initializer }:
                    foreach (var initialization in initializer.Initializers)
                    {
                        if (initialization is ISimpleAssignmentOperation { Target: IMemberReferenceOperation initialized } inner && IsNamed(initialized, members))
                        {
                            writes.Add(inner.Value);
                        }
                    }

                    break;
            }
        }

        return writes.ToImmutable();
    }

    private static bool IsNamed(IMemberReferenceOperation member, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            if (member.Member.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsLocal(IOperation? instance, ILocalSymbol local)
        => instance is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);
}
