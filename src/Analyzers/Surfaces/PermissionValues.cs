using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// Integer values of mode and IPC flag expressions. C# has no octal literal, so real code writes modes in decimal
/// (438), hex (0x1b6), binary (0b110_110_110), Mono's <c>FilePermissions</c>, Tmds' <c>S_I*</c> properties (no constant
/// value), or parses octal text (<c>Convert.ToInt32("666", 8)</c>). Null when any part is not a known constant.
/// </summary>
internal static class PermissionValues
{
    /// <summary>Group or other may write.</summary>
    public const long GroupOrOtherWrite = 0x12;

    public const long PermissionBits = 0x1FF;

    /// <summary>Tmds.LibC exposes these as properties; their values are the Linux ones.</summary>
    private static readonly Dictionary<string, long> TmdsNames = new(StringComparer.Ordinal)
    {
        ["S_IRWXU"] = 0x1C0, ["S_IRUSR"] = 0x100, ["S_IWUSR"] = 0x80, ["S_IXUSR"] = 0x40,
        ["S_IRWXG"] = 0x38, ["S_IRGRP"] = 0x20, ["S_IWGRP"] = 0x10, ["S_IXGRP"] = 0x8,
        ["S_IRWXO"] = 0x7, ["S_IROTH"] = 0x4, ["S_IWOTH"] = 0x2, ["S_IXOTH"] = 0x1,
        ["O_RDONLY"] = 0, ["O_WRONLY"] = 1, ["O_RDWR"] = 2, ["O_CREAT"] = 0x40, ["O_EXCL"] = 0x80,
        ["O_TRUNC"] = 0x200, ["O_CLOEXEC"] = 0x80000, ["O_NONBLOCK"] = 0x800,
        ["IPC_CREAT"] = 0x200, ["IPC_EXCL"] = 0x400, ["IPC_PRIVATE"] = 0,
    };

    public static long? Value(IOperation? operation, PosixSurfaces surfaces)
    {
        if (operation is null)
        {
            return null;
        }

        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        if (operation.ConstantValue.HasValue)
        {
            return ToInt64(operation.ConstantValue.Value);
        }

        switch (operation)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Or or BinaryOperatorKind.Add } binary:
                return Value(binary.LeftOperand, surfaces) is { } left && Value(binary.RightOperand, surfaces) is { } right
                    ? binary.OperatorKind == BinaryOperatorKind.Or ? left | right : left + right
                    : null;
            case IPropertyReferenceOperation { Instance: null } property
                when surfaces.BindingSurfaceOf(property.Property.ContainingType) is PosixSurface.Tmds
                     && TmdsNames.TryGetValue(property.Property.Name, out var tmdsValue):
                return tmdsValue;
            case IInvocationOperation { TargetMethod: { Name: "ToInt32" or "ToUInt32" or "ToInt16" or "ToUInt16", ContainingType.SpecialType: SpecialType.None } method, Arguments.Length: 2 } parse
                when method.ContainingType is { Name: "Convert", Arity: 0, ContainingType: null, ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } }
                     && parse.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string text }
                     && parse.Arguments[1].Value.ConstantValue is { HasValue: true, Value: 8 }:
                return ParseOctal(text);
            default:
                return null;
        }
    }

    /// <summary>A mode as C writes it: 0666.</summary>
    public static string Octal(long mode) => "0" + Convert.ToString(mode & 0xFFF, 8);

    private static long? ParseOctal(string text)
    {
        if (text.Length == 0 || text.Length > 6)
        {
            return null;
        }

        long value = 0;
        foreach (var digit in text)
        {
            if (digit is < '0' or > '7')
            {
                return null;
            }

            value = (value * 8) + (digit - '0');
        }

        return value;
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
