using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// The integers the waiting and signal rules compare against: signal numbers, wait options, idtypes, send and
/// sigaction flags. Own code spells them as consts, Mono.Posix as enum members (same values as Linux), Tmds.LibC
/// as static properties with no constant value (matched here by binding type + name), and
/// <c>System.Runtime.InteropServices.PosixSignal</c> with its own negative numbering.
/// </summary>
internal static class SignalValues
{
    public const int SIGKILL = 9;
    public const int SIGPIPE = 13;
    public const int SIGCHLD = 17;
    public const int WNOHANG = 1;
    public const int P_ALL = 0;
    public const int P_PID = 1;
    public const int P_PGID = 2;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SA_NOCLDWAIT = 2;
    public const int SIG_DFL = 0;
    public const int SIG_IGN = 1;

    /// <summary><c>PosixSignal.SIGCHLD</c>: the BCL's portable number for SIGCHLD.</summary>
    public const int PosixSignalSigchld = -5;

    // Tmds.LibC's static properties that matter to these rules; its values are Linux's.
    private static readonly Dictionary<string, long> TmdsProperties = new()
    {
        ["SIGKILL"] = SIGKILL,
        ["SIGPIPE"] = SIGPIPE,
        ["SIGCHLD"] = SIGCHLD,
        ["MSG_NOSIGNAL"] = MSG_NOSIGNAL,
        ["MSG_OOB"] = 0x1,
        ["MSG_PEEK"] = 0x2,
        ["MSG_DONTROUTE"] = 0x4,
        ["MSG_DONTWAIT"] = 0x40,
        ["MSG_EOR"] = 0x80,
        ["MSG_WAITALL"] = 0x100,
        ["MSG_CONFIRM"] = 0x800,
        ["MSG_MORE"] = 0x8000,
        ["MSG_ZEROCOPY"] = 0x4000000,
        ["MSG_FASTOPEN"] = 0x20000000,
        ["SA_NOCLDSTOP"] = 1,
        ["SA_SIGINFO"] = 4,
        ["SA_ONSTACK"] = 0x08000000,
        ["SA_RESTART"] = 0x10000000,
        ["SA_NODEFER"] = 0x40000000,
        ["SA_RESETHAND"] = unchecked((int)0x80000000),
        ["SA_NOCLDWAIT"] = SA_NOCLDWAIT,
        ["SIG_DFL"] = SIG_DFL,
        ["SIG_IGN"] = SIG_IGN,
        ["SIG_ERR"] = -1,
        ["EINTR"] = 4,
        ["ECHILD"] = 10,
    };

    /// <summary>
    /// The integer an argument stands for, seen through conversions (including the Tmds typedefs' user-defined
    /// ones), unary minus, and the sentinels <see cref="LibcValues"/> knows. Null when it is not known here.
    /// </summary>
    public static long? IntegerValue(IOperation? operation, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        operation = SkipConversions(operation);
        if (operation is null)
        {
            return null;
        }

        if (operation.ConstantValue.HasValue && operation.ConstantValue.Value is { } constant)
        {
            return ToInt64(constant);
        }

        switch (operation)
        {
            case IPropertyReferenceOperation { Instance: null } property
                when surfaces.BindingSurfaceOf(property.Property.ContainingType) is not null
                    && TmdsProperties.TryGetValue(property.Property.Name, out var known):
                return known;
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } negation
                when IntegerValue(negation.Operand, surfaces, cancellationToken) is { } negated:
                return -negated;
            default:
                return surfaces.Values.IntegerValue(operation, null, cancellationToken);
        }
    }

    /// <summary>
    /// True when a flags argument certainly contains <paramref name="flag"/>: the flag itself, or an operand of a
    /// bitwise or (through casts and parentheses), or a constant with the bit set.
    /// </summary>
    public static bool ContainsFlag(IOperation? operation, long flag, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        operation = SkipConversions(operation);
        if (operation is null)
        {
            return false;
        }

        if (IntegerValue(operation, surfaces, cancellationToken) is { } value)
        {
            return (value & flag) == flag;
        }

        return operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Or } or
            && (ContainsFlag(or.LeftOperand, flag, surfaces, cancellationToken) || ContainsFlag(or.RightOperand, flag, surfaces, cancellationToken));
    }

    /// <summary>True when the flags are known and certainly lack <paramref name="flag"/>.</summary>
    public static bool CertainlyLacksFlag(IOperation? operation, long flag, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        operation = SkipConversions(operation);
        if (operation is null)
        {
            return false;
        }

        if (IntegerValue(operation, surfaces, cancellationToken) is { } value)
        {
            return (value & flag) == 0;
        }

        return operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Or } or
            && CertainlyLacksFlag(or.LeftOperand, flag, surfaces, cancellationToken)
            && CertainlyLacksFlag(or.RightOperand, flag, surfaces, cancellationToken);
    }

    /// <summary>Strips every conversion: built-in ones, and the Tmds typedef structs' user-defined ones (pid_t from int).</summary>
    public static IOperation? SkipConversions(IOperation? operation)
    {
        while (operation is IConversionOperation conversion
            && (conversion.OperatorMethod is null || IsTypedefConversion(conversion.OperatorMethod)))
        {
            operation = conversion.Operand;
        }

        while (operation is IParenthesizedOperation parenthesized)
        {
            operation = SkipConversions(parenthesized.Operand);
        }

        return operation;
    }

    private static bool IsTypedefConversion(IMethodSymbol method)
        => method.ContainingType is { TypeKind: TypeKind.Struct, ContainingNamespace: { Name: "Linux", ContainingNamespace: { Name: "Tmds", ContainingNamespace.IsGlobalNamespace: true } } };

    private static long? ToInt64(object value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        sbyte sb => sb,
        uint ui => ui,
        ulong ul => unchecked((long)ul),
        ushort us => us,
        byte b => b,
        _ => null,
    };
}
