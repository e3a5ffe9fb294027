using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// Recognizes "was that EINTR?" in every spelling the surfaces allow: errno read through Marshal (GetLastWin32Error,
/// GetLastPInvokeError, GetLastSystemError), Tmds' <c>errno</c> property, Mono's <c>Stdlib.GetLastError()</c> or
/// <c>UnixMarshal.ShouldRetrySyscall(r)</c> (true for -1 with EINTR), compared with EINTR as a named constant
/// (own const, Tmds property, Mono's <c>Errno.EINTR</c>) or with 4 when the other side is an errno read.
/// </summary>
internal static class EintrTests
{
    /// <summary>The kinds <see cref="IsEintrTest"/> can be true of.</summary>
    public static readonly OperationKinds TestKinds = new(OperationKind.Invocation, OperationKind.Binary, OperationKind.IsPattern);

    private const int Eintr = 4;

    /// <summary>True when the operation is, or directly contains, a test for EINTR.</summary>
    public static bool IsEintrTest(IOperation operation, PosixSurfaces surfaces)
    {
        // Called for every operation of a loop or body: the kind rules out nearly all of them before any interface test.
        if (!TestKinds.Contains(operation.Kind))
        {
            return false;
        }

        switch (operation)
        {
            case IInvocationOperation { TargetMethod: { Name: "ShouldRetrySyscall", ContainingType.Name: "UnixMarshal" } }:
                return true;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison:
                return (NamesEintr(comparison.RightOperand, surfaces) && !NamesEintr(comparison.LeftOperand, surfaces))
                       || (NamesEintr(comparison.LeftOperand, surfaces) && !NamesEintr(comparison.RightOperand, surfaces))
                       || (IsErrnoRead(comparison.LeftOperand, surfaces) && IsLiteralEintr(comparison.RightOperand))
                       || (IsErrnoRead(comparison.RightOperand, surfaces) && IsLiteralEintr(comparison.LeftOperand));
            case IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern:
                return NamesEintr(constant.Value, surfaces) || (IsErrnoRead(pattern.Value, surfaces) && IsLiteralEintr(constant.Value));
            default:
                return false;
        }
    }

    /// <summary>EINTR by name: a field or property called EINTR (own const, Tmds, Mono's Errno enum).</summary>
    private static bool NamesEintr(IOperation operation, PosixSurfaces surfaces)
    {
        operation = SkipConversions(operation);
        return operation switch
        {
            IFieldReferenceOperation field => field.Field.Name == "EINTR",
            IPropertyReferenceOperation { Instance: null } property => property.Property.Name == "EINTR" && surfaces.BindingSurfaceOf(property.Property.ContainingType) is not null,
            _ => false,
        };
    }

    private static bool IsLiteralEintr(IOperation operation)
        => SkipConversions(operation).ConstantValue is { HasValue: true, Value: int value } && value == Eintr;

    /// <summary>Mono.Posix's <c>Mono.Unix.Native.Stdlib</c> or <c>Syscall</c>, by name: any assembly's copy of them.</summary>
    private static bool IsMonoNativeClass(INamedTypeSymbol? type)
        => type is { Name: "Stdlib" or "Syscall", Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Native", ContainingNamespace: { Name: "Unix", ContainingNamespace: { Name: "Mono", ContainingNamespace.IsGlobalNamespace: true } } } };

    /// <summary>A read of errno, directly or through a local that holds one.</summary>
    public static bool IsErrnoRead(IOperation operation, PosixSurfaces surfaces)
    {
        operation = SkipConversions(operation);
        switch (operation)
        {
            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                return (method.Name is "GetLastWin32Error" or "GetLastPInvokeError" or "GetLastSystemError"
                        && SymbolEqualityComparer.Default.Equals(method.ContainingType, surfaces.MarshalType))
                       || (method.Name == "GetLastError" && IsMonoNativeClass(method.ContainingType));
            case IPropertyReferenceOperation { Instance: null } property:
                return property.Property.Name == "errno" && surfaces.BindingSurfaceOf(property.Property.ContainingType) is not null;
            case ILocalReferenceOperation local:
                // `int error = Marshal.GetLastPInvokeError(); if (error == 4)`: some write of the local reads errno.
                return AssignedFromErrno(local, surfaces);
            default:
                return false;
        }
    }

    /// <summary>The values the local is declared with or assigned anywhere in its body (the map is made once per body).</summary>
    public static IReadOnlyList<IOperation> AssignedValuesOf(ILocalReferenceOperation reference)
    {
        IOperation root = reference;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        return OperationTrees.FactsOf(root).AssignedValues(CollectAssignedValues).TryGetValue(reference.Local, out var values)
            ? values
            : System.Array.Empty<IOperation>();
    }

    private static bool AssignedFromErrno(ILocalReferenceOperation reference, PosixSurfaces surfaces)
    {
        var values = AssignedValuesOf(reference);
        if (values.Count == 0)
        {
            return false;
        }

        foreach (var value in values)
        {
            if (SkipConversions(value) is not ILocalReferenceOperation && IsErrnoRead(value, surfaces))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The values each local of a body is declared with or assigned: one walk per body, where every EINTR test on a
    /// local of that body used to walk the whole body again.
    /// </summary>
    private static Dictionary<ILocalSymbol, List<IOperation>> CollectAssignedValues(IOperation root)
    {
        var values = new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
        foreach (var operation in OperationTrees.Under(root, OperationKinds.DeclarationsAndAssignments))
        {
            var (local, value) = operation switch
            {
                IVariableDeclaratorOperation declarator => (declarator.Symbol, declarator.GetVariableInitializer()?.Value),
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment => (target.Local, assignment.Value),
                _ => (null, null),
            };
            if (local is null || value is null)
            {
                continue;
            }

            if (!values.TryGetValue(local, out var list))
            {
                values[local] = list = new List<IOperation>();
            }

            list.Add(value);
        }

        return values;
    }

    private static IOperation SkipConversions(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }
}
