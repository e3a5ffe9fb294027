using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>What code does with a pointer-sized result that libc may have set to a sentinel.</summary>
internal sealed class PointerUses
{
    private readonly PosixSurfaces _surfaces;
    private readonly Func<IOperation, long?> _valueOf;
    private readonly long _failure;
    private readonly int _depth;

    /// <param name="valueOf">The known integer value of an operand (see <see cref="LibcValues"/>).</param>
    /// <param name="failure">The sentinel libc returns on failure (-1 for MAP_FAILED).</param>
    /// <param name="depth">How many source methods deep this question already is (see <see cref="MethodSummaries"/>).</param>
    public PointerUses(PosixSurfaces surfaces, Func<IOperation, long?> valueOf, long failure, int depth = 0)
    {
        _surfaces = surfaces;
        _valueOf = valueOf;
        _failure = failure;
        _depth = depth;
    }

    /// <summary>
    /// Climbs from a value through what does not change it: casts, <c>new IntPtr(p)</c>, <c>p.ToInt64()</c>,
    /// <c>p.ToPointer()</c>.
    /// </summary>
    public static IOperation SkipRepresentationChanges(IOperation operation)
    {
        while (true)
        {
            switch (operation.Parent)
            {
                case IConversionOperation conversion:
                    operation = conversion;
                    continue;
                case IArgumentOperation { Parent: IObjectCreationOperation { Arguments.Length: 1 } creation } when LibcValues.IsNativeInteger(creation.Type):
                    operation = creation;
                    continue;
                case IInvocationOperation invocation when invocation.Instance == operation
                    && LibcValues.IsNativeInteger(invocation.TargetMethod.ContainingType)
                    && invocation.TargetMethod.Name is "ToInt64" or "ToInt32" or "ToUInt64" or "ToUInt32" or "ToPointer":
                    operation = invocation;
                    continue;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The comparison that a mention of the value takes part in, if any.</summary>
    public static IOperation? ComparisonOf(IOperation reference)
    {
        var value = SkipRepresentationChanges(reference);
        return value.Parent switch
        {
            IBinaryOperation binary when IsComparison(binary.OperatorKind) => binary,
            IIsPatternOperation pattern when pattern.Value == value => pattern,
            _ => null,
        };
    }

    /// <summary>The other side of an equality comparison, or the pattern; what a fix replaces.</summary>
    public static IOperation? ComparedAgainst(IOperation comparison, IOperation reference)
    {
        var value = SkipRepresentationChanges(reference);
        return comparison switch
        {
            IBinaryOperation binary => binary.LeftOperand == value ? binary.RightOperand : binary.LeftOperand,
            IIsPatternOperation pattern => pattern.Pattern,
            _ => null,
        };
    }

    public ValueUse Classify(IOperation reference)
    {
        var value = SkipRepresentationChanges(reference);
        switch (value.Parent)
        {
            case IBinaryOperation binary when binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals:
                var other = binary.LeftOperand == value ? binary.RightOperand : binary.LeftOperand;
                return _valueOf(other) switch
                {
                    { } known when known == _failure => ValueUse.Check,
                    0 => ValueUse.WrongCheck,
                    // Compared with something deliberate, e.g. the address a MAP_FIXED mapping asked for.
                    _ => ValueUse.Check,
                };
            case IBinaryOperation binary when IsComparison(binary.OperatorKind):
                return ValueUse.Check;
            case IBinaryOperation:
                return ValueUse.Use;
            case IIsPatternOperation pattern when pattern.Value == value:
                return ClassifyPattern(pattern.Pattern);
            case ICompoundAssignmentOperation or IIncrementOrDecrementOperation:
                return ValueUse.Use;
            case IArgumentOperation argument:
                return ClassifyArgument(argument);
            case { Kind: OperationKind.None }:
                // Pointer indirection (*p, p[i], p->f) has no operation kind of its own.
                return ValueUse.Use;
            case ISimpleAssignmentOperation assignment when assignment.Target == value:
                return ValueUse.Overwrite;
            default:
                return ValueUse.Escape;
        }
    }

    private ValueUse ClassifyPattern(IPatternOperation pattern)
    {
        var sawFailure = false;
        var sawZero = false;
        var sawOther = false;
        foreach (var node in OperationWalk.WithSelf(pattern))
        {
            switch (node)
            {
                case IConstantPatternOperation constant:
                    var known = _valueOf(constant.Value);
                    sawFailure |= known == _failure;
                    sawZero |= known == 0;
                    sawOther |= known is null || (known != 0 && known != _failure);
                    break;
                case IRelationalPatternOperation:
                    sawOther = true;
                    break;
            }
        }

        if (sawFailure || sawOther)
        {
            return ValueUse.Check;
        }

        return sawZero ? ValueUse.WrongCheck : ValueUse.Escape;
    }

    private ValueUse ClassifyArgument(IArgumentOperation argument)
    {
        switch (argument.Parent)
        {
            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                if (_surfaces.TryGetLibcCall(method, out _) || IsMemoryApi(method.ContainingType))
                {
                    return ValueUse.Use;
                }

                if (argument.Parameter is not { } parameter || argument.ArgumentKind != ArgumentKind.Explicit)
                {
                    return ValueUse.Escape;
                }

                // The project's own helper: its summary says whether it checks (CheckResult(p, "mmap")), uses or keeps the pointer.
                if (!method.DeclaringSyntaxReferences.IsEmpty)
                {
                    return _surfaces.Summaries.PointerParameterUse(method, parameter.Ordinal, _depth, default);
                }

                return TakesAddressToUse(method, parameter) ? ValueUse.Use : ValueUse.Escape;
            case IObjectCreationOperation creation when IsMemoryView(creation.Type):
                return ValueUse.Use;
            default:
                return ValueUse.Escape;
        }
    }

    /// <summary>
    /// A library method whose parameter is declared as an address (<c>IntPtr</c>, <c>nuint</c>, a pointer), e.g. an
    /// image or buffer loader: it reads through it. Not: parameters of type object or T (logging, collections), methods
    /// that only keep the handle (SafeHandle, Interlocked/Volatile), the address types' own members.
    /// </summary>
    private static bool TakesAddressToUse(IMethodSymbol method, IParameterSymbol parameter)
    {
        var declared = parameter.OriginalDefinition.Type;
        if (parameter.RefKind != RefKind.None || !(declared is IPointerTypeSymbol || LibcValues.IsNativeInteger(declared)))
        {
            return false;
        }

        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            if (type.Name is "SafeHandle" or "CriticalHandle" or "IntPtr" or "UIntPtr" or "GCHandle" or "HandleRef"
                && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true }
                    or { Name: "InteropServices", ContainingNamespace: { Name: "Runtime", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } })
            {
                return false;
            }
        }

        // By names, not a written-out string: this runs for every address argument of every library call.
        return method.ContainingNamespace is not ({ Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } }
            or { Name: "CompilerServices", ContainingNamespace: { Name: "Runtime", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } });
    }

    private bool IsMemoryApi(INamedTypeSymbol? type) => type is not null && _surfaces.MemoryApiTypes.Contains(type);

    private bool IsMemoryView(ITypeSymbol? type) => type?.OriginalDefinition is INamedTypeSymbol named && _surfaces.MemoryApiTypes.Contains(named);

    private static bool IsComparison(BinaryOperatorKind kind) => kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
        or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual;
}
