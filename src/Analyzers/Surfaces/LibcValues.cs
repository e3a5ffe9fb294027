using System;
using System.Collections.Concurrent;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// Answers "which integer does this expression stand for?" for the sentinels libc returns: MAP_FAILED and SIG_ERR
/// are -1, NULL and SIG_DFL are 0, SIG_IGN is 1. Bindings spell them differently (Tmds: static properties; Mono:
/// static readonly fields; own code: consts, readonly fields, <c>new IntPtr(-1)</c>, <c>(void*)-1</c>), so the value
/// is worked out from what the expression is, never from its name alone.
/// </summary>
internal sealed class LibcValues
{
    private const int MaxDepth = 4;
    private readonly PosixSurfaces _surfaces;
    private readonly ConcurrentDictionary<IFieldSymbol, Box> _readonlyFieldValues = new(SymbolEqualityComparer.Default);

    public LibcValues(PosixSurfaces surfaces) => _surfaces = surfaces;

    /// <summary>The integer an expression evaluates to, when it is a known constant or sentinel.</summary>
    /// <param name="singleAssignment">Finds the one value assigned to a local in the analyzed body, if there is exactly one.</param>
    public long? IntegerValue(IOperation? operation, Func<ILocalSymbol, IOperation?>? singleAssignment, CancellationToken cancellationToken)
        => IntegerValue(operation, singleAssignment, 0, cancellationToken);

    private long? IntegerValue(IOperation? operation, Func<ILocalSymbol, IOperation?>? singleAssignment, int depth, CancellationToken cancellationToken)
    {
        if (operation is null || depth > MaxDepth)
        {
            return null;
        }

        operation = OperationFacts.StripConversions(operation);
        if (operation.ConstantValue.HasValue)
        {
            return ToInt64(operation.ConstantValue.Value);
        }

        switch (operation)
        {
            case IDefaultValueOperation:
                return 0;
            case IObjectCreationOperation { Arguments.Length: 1 } creation when IsNativeInteger(creation.Type):
                return IntegerValue(creation.Arguments[0].Value, singleAssignment, depth + 1, cancellationToken);
            case IPropertyReferenceOperation property when property.Instance is null:
                return BindingConstant(property.Property.ContainingType, property.Property.Name);
            case IFieldReferenceOperation field when field.Instance is null:
                return FieldValue(field.Field, field.SemanticModel, depth, cancellationToken);
            case ILocalReferenceOperation local when singleAssignment is not null:
                return IntegerValue(singleAssignment(local.Local), singleAssignment, depth + 1, cancellationToken);
            default:
                return null;
        }
    }

    private long? FieldValue(IFieldSymbol field, SemanticModel? referencingModel, int depth, CancellationToken cancellationToken)
    {
        if (field.HasConstantValue)
        {
            return ToInt64(field.ConstantValue);
        }

        if (IsNativeInteger(field.ContainingType) && field.Name == "Zero")
        {
            return 0;
        }

        if (BindingConstant(field.ContainingType, field.Name) is { } bindingValue)
        {
            return bindingValue;
        }

        if (!field.IsReadOnly || !field.IsStatic || field.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        if (_readonlyFieldValues.TryGetValue(field, out var known))
        {
            return known.Value;
        }

        return _readonlyFieldValues.GetOrAdd(field, new Box(ReadonlyInitializerValue(field, referencingModel, depth, cancellationToken))).Value;
    }

    private long? ReadonlyInitializerValue(IFieldSymbol field, SemanticModel? referencingModel, int depth, CancellationToken cancellationToken)
    {
        var reference = field.DeclaringSyntaxReferences[0];
        if (reference.GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer })
        {
            return null;
        }

        // Cached per field. A field declared in the tree being analyzed (the usual case: a MAP_FAILED beside the
        // mmap call) is read through the driver's own model of that tree; another tree through the summaries' model
        // of it, none for a tree of another compilation (a project reference in the IDE).
        var model = referencingModel?.SyntaxTree == reference.SyntaxTree ? referencingModel : _surfaces.Summaries.ModelOf(reference.SyntaxTree);
        return model is null ? null : IntegerValue(model.GetOperation(initializer, cancellationToken), null, depth + 1, cancellationToken);
    }

    /// <summary>The sentinels the bindings expose as members rather than constants.</summary>
    private long? BindingConstant(INamedTypeSymbol? type, string name)
    {
        if (_surfaces.BindingSurfaceOf(type) is null)
        {
            return null;
        }

        return name switch
        {
            "MAP_FAILED" or "SIG_ERR" => -1,
            "SIG_DFL" => 0,
            "SIG_IGN" => 1,
            _ => null,
        };
    }

    public static bool IsNativeInteger(ITypeSymbol? type)
        => type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

    private static long? ToInt64(object? value) => value switch
    {
        null => 0,
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

    private sealed class Box
    {
        public Box(long? value) => Value = value;

        public long? Value { get; }
    }
}
