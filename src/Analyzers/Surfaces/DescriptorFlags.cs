using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>What a flags argument says about one flag, when that can be read from the code.</summary>
internal enum FlagPresence
{
    /// <summary>The flags come from a variable, a call or anything else whose value is not known here.</summary>
    Unknown,

    /// <summary>Every part of the flags is a known constant, and none of them sets the flag.</summary>
    Absent,

    /// <summary>Some part of the flags sets the flag.</summary>
    Present,
}

/// <summary>
/// Decides whether a constant flags expression sets one flag (O_CLOEXEC, SOCK_CLOEXEC, ...). The bindings spell flags
/// three ways: own consts and literals (a <c>ConstantValue</c>), Mono.Posix enums (whose numbers are Mono's own, not
/// the kernel's: compared with the enum's member of that name), and Tmds.LibC's static properties (no constant value:
/// read by name; each names one flag, so only a property of the flag's family sets it).
/// </summary>
internal static class DescriptorFlags
{
    /// <param name="flagName">The flag's C name, e.g. <c>O_CLOEXEC</c>.</param>
    /// <param name="linuxValue">The flag's value on Linux, for literals and the project's own constants.</param>
    public static FlagPresence Presence(IOperation flags, string flagName, long linuxValue, PosixSurfaces surfaces)
    {
        flags = SkipConversions(flags);
        switch (flags)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Or or BinaryOperatorKind.Add } binary:
                var left = Presence(binary.LeftOperand, flagName, linuxValue, surfaces);
                var right = Presence(binary.RightOperand, flagName, linuxValue, surfaces);
                if (left == FlagPresence.Present || right == FlagPresence.Present)
                {
                    return FlagPresence.Present;
                }

                return left == FlagPresence.Absent && right == FlagPresence.Absent ? FlagPresence.Absent : FlagPresence.Unknown;
            case IPropertyReferenceOperation { Instance: null } property
                when surfaces.BindingSurfaceOf(property.Property.ContainingType) is PosixSurface.Tmds:
                // Tmds: SOCK_CLOEXEC, O_CLOEXEC, EPOLL_CLOEXEC ... share one bit; any other property is another flag.
                return property.Property.Name.EndsWith("_CLOEXEC", System.StringComparison.Ordinal) ? FlagPresence.Present : FlagPresence.Absent;
        }

        if (!flags.ConstantValue.HasValue || ToInt64(flags.ConstantValue.Value) is not { } value)
        {
            return FlagPresence.Unknown;
        }

        var bit = flags.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType ? EnumMemberValue(enumType, flagName) : linuxValue;
        if (bit is not { } flagBits)
        {
            // An enum without the flag cannot express it: nothing to say.
            return FlagPresence.Unknown;
        }

        return (value & flagBits) == flagBits ? FlagPresence.Present : FlagPresence.Absent;
    }

    private static long? EnumMemberValue(INamedTypeSymbol enumType, string name)
    {
        foreach (var member in enumType.GetMembers(name))
        {
            if (member is IFieldSymbol { HasConstantValue: true } field)
            {
                return ToInt64(field.ConstantValue);
            }
        }

        return null;
    }

    private static IOperation SkipConversions(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    private static long? ToInt64(object? value) => value switch
    {
        int i => i,
        long l => l,
        uint ui => ui,
        ulong ul => unchecked((long)ul),
        short s => s,
        ushort us => us,
        byte b => b,
        sbyte sb => sb,
        _ => null,
    };
}
