using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// The one home of the small questions every rule asks of an operation: "what is under these conversions?", "is this
/// an integer comparison, and which one?". Bindings wrap libc's integer types in structs (Tmds.LibC's <c>pid_t</c>,
/// <c>off_t</c>, <c>size_t</c> ... in <c>Tmds.Linux</c>) whose user-defined conversions and operators stand for the
/// plain integer conversion or comparison they wrap. This class is the only place that knows that: ask it, and a
/// rule understands <c>if (pid == 0)</c> on a Tmds <c>pid_t</c> as it understands it on an <c>int</c>.
/// </summary>
internal static class OperationFacts
{
    /// <summary>Whether a lambda or local function lies between the operation and the root (the root not counted).</summary>
    public static bool InsideNestedFunction(IOperation operation, IOperation root)
    {
        for (var parent = operation.Parent; parent is not null && parent != root; parent = parent.Parent)
        {
            if (parent.Kind is OperationKind.AnonymousFunction or OperationKind.LocalFunction)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The argument bound to the parameter at <paramref name="ordinal"/>, whatever order the call names them in.</summary>
    public static IOperation? Argument(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// A descriptor argument that is a negative constant: no descriptor at all. The call can only fail with EBADF, and
    /// code makes it for that (to probe that an entry point exists, as dbus-sharp does with sendmsg(-1, ...), or in a
    /// test), so what the rules say about a real descriptor's call does not apply.
    /// </summary>
    public static bool IsNoDescriptor(IOperation? value)
        => value is not null && StripConversions(value).ConstantValue is { HasValue: true, Value: int number } && number < 0;

    /// <summary>
    /// Goes down through conversions that keep the value: built-in ones (casts, boxing, pointer and native-integer
    /// conversions) and the user-defined conversions of binding typedef structs. Stops at any other user-defined
    /// conversion, which may compute anything.
    /// </summary>
    public static IOperation StripConversions(IOperation operation)
    {
        while (operation is IConversionOperation conversion && KeepsValue(conversion))
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    /// <summary>The outermost of the value-keeping conversions around <paramref name="operation"/> (itself when there is none).</summary>
    public static IOperation OutermostConversion(IOperation operation)
    {
        while (operation.Parent is IConversionOperation conversion && KeepsValue(conversion))
        {
            operation = conversion;
        }

        return operation;
    }

    /// <summary>True for a built-in conversion, or a user-defined one declared by a binding typedef struct.</summary>
    public static bool KeepsValue(IConversionOperation conversion)
        => conversion.OperatorMethod is not { } method || IsBindingTypedefStruct(method.ContainingType);

    /// <summary>
    /// The comparison a binary operation makes of two integers (or pointers): <c>==</c>, <c>!=</c>, <c>&lt;</c>,
    /// <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, built in or declared by a binding typedef struct; null for anything
    /// else, including a comparison operator some other type defines.
    /// </summary>
    public static BinaryOperatorKind? IntegerRelation(IBinaryOperation binary)
    {
        if (binary.OperatorMethod is { } method && !IsBindingTypedefStruct(method.ContainingType))
        {
            return null;
        }

        return binary.OperatorKind switch
        {
            BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual => binary.OperatorKind,
            _ => null,
        };
    }

    /// <summary>The same relation with its operands swapped: <c>0 &lt; pid</c> is <c>pid &gt; 0</c>.</summary>
    public static BinaryOperatorKind Swap(BinaryOperatorKind relation) => relation switch
    {
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        _ => relation,
    };

    /// <summary>
    /// A binding's typedef struct: a struct in namespace <c>Tmds.Linux</c> whose one instance field is an integer
    /// (Tmds.LibC 0.5.0: <c>pid_t</c> wraps <c>int __value</c>, <c>off_t</c> and <c>ssize_t</c> a <c>long</c>,
    /// <c>size_t</c> a <c>ulong</c>). Its conversions and comparison operators are the integer ones.
    /// </summary>
    public static bool IsBindingTypedefStruct(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct, ContainingNamespace: { Name: "Linux" } linux } struct_
            || linux.ContainingNamespace is not { Name: "Tmds" } tmds
            || tmds.ContainingNamespace is not { IsGlobalNamespace: true })
        {
            return false;
        }

        // The wrapped field is private: compilers import private instance fields of structs from metadata (layout),
        // but should one not be visible, an implicit conversion to an integer says the same.
        IFieldSymbol? only = null;
        var toInteger = false;
        foreach (var member in struct_.GetMembers())
        {
            switch (member)
            {
                case IFieldSymbol { IsStatic: false } field:
                    if (only is not null)
                    {
                        return false;
                    }

                    only = field;
                    break;
                case IMethodSymbol { MethodKind: MethodKind.Conversion, Name: "op_Implicit" } conversion when IsInteger(conversion.ReturnType):
                    toInteger = true;
                    break;
            }
        }

        return only is null ? toInteger : IsInteger(only.Type);
    }

    private static bool IsInteger(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64
            or SpecialType.System_UInt64 or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_IntPtr
            or SpecialType.System_UIntPtr;
}
