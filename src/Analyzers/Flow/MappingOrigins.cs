using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>Where an address handed to munmap came from, and how the mapping's length can be named there.</summary>
internal sealed class MappingOrigin
{
    public MappingOrigin(IInvocationOperation mmap, IOperation length, bool inSameGraph)
    {
        Mmap = mmap;
        Length = length;
        InSameGraph = inSameGraph;
    }

    /// <summary>The mmap call whose result the address is.</summary>
    public IInvocationOperation Mmap { get; }

    /// <summary>The length argument of that call.</summary>
    public IOperation Length { get; }

    /// <summary>Whether the call is in the graph of the munmap (so its length is evaluated in that graph).</summary>
    public bool InSameGraph { get; }
}

/// <summary>
/// Finds the mmap behind an address: a local assigned once from mmap in the same body, or a field of the type
/// assigned from mmap exactly once in the same file (the Dispose pattern: map in the constructor, unmap in Dispose).
/// </summary>
internal static class MappingOrigins
{
    public static MappingOrigin? Find(PosixSurfaces surfaces, IOperation address, ControlFlowGraph? graph, CancellationToken cancellationToken)
    {
        var value = StripConversions(address);
        switch (value)
        {
            case ILocalReferenceOperation local when graph is not null:
                var origins = ValueOrigins.Of(graph);
                if (origins.SingleAssignment(local.Local) is { } assigned && AsMmap(surfaces, assigned, cancellationToken) is { } mmap
                    && mmap.Argument(1) is { } length)
                {
                    return new MappingOrigin(mmap.Invocation, length, inSameGraph: true);
                }

                return null;
            case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                return FromField(surfaces, field.Field, address, cancellationToken);
            default:
                return null;
        }
    }

    public static IOperation StripConversions(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case IObjectCreationOperation { Arguments.Length: 1 } creation when LibcValues.IsNativeInteger(creation.Type):
                    operation = creation.Arguments[0].Value;
                    continue;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The mmap behind a value, called directly or through a wrapper that takes the length from its caller.</summary>
    private static LibcInvocation? AsMmap(PosixSurfaces surfaces, IOperation value, CancellationToken cancellationToken)
        => StripConversions(value) is IInvocationOperation invocation
            && LibcInvocation.MayBe(surfaces, invocation.TargetMethod, MappingValues.MmapFunctions)
            && LibcInvocation.TryCreate(surfaces, invocation, MappingValues.MmapFunctions, cancellationToken, out var mmap)
            && mmap.Target.Parameters.Length == 6
            && mmap.Argument(1) is not null
                ? mmap
                : null;

    private static MappingOrigin? FromField(PosixSurfaces surfaces, IFieldSymbol field, IOperation use, CancellationToken cancellationToken)
    {
        var model = use.SemanticModel;
        if (model is null || field.ContainingType is not { } type)
        {
            return null;
        }

        // The same file only: the model at hand answers for it, and the Dispose pattern keeps both halves together.
        LibcInvocation? found = null;
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != model.SyntaxTree)
            {
                continue;
            }

            foreach (var assignment in reference.GetSyntax(cancellationToken).DescendantNodes().OfType<AssignmentExpressionSyntax>())
            {
                if (model.GetOperation(assignment, cancellationToken) is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } operation
                    || !SymbolEqualityComparer.Default.Equals(target.Field, field))
                {
                    continue;
                }

                if (AsMmap(surfaces, operation.Value, cancellationToken) is not { } mmap || found is not null)
                {
                    return null; // assigned from something else too, or mapped twice: which length applies is not known
                }

                found = mmap;
            }
        }

        return found is { } mapping && mapping.Argument(1) is { } length ? new MappingOrigin(mapping.Invocation, length, inSameGraph: false) : null;
    }

    /// <summary>
    /// An expression that names the mapping's length where the munmap is: the mmap's constant length, the field it
    /// reads, or, when the mmap reads a parameter or local, the field the same method stores that value in (or the
    /// local itself when munmap is in the same body and the local never changes).
    /// </summary>
    public static (string Text, string? Symbol)? LengthName(MappingOrigin origin, ControlFlowGraph? graph)
    {
        var length = StripConversions(origin.Length);
        if (origin.Length.ConstantValue.HasValue)
        {
            return (origin.Length.Syntax.ToString(), null);
        }

        switch (length)
        {
            case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                return (field.Syntax.ToString(), field.Field.ToDisplayString());
            case ILocalReferenceOperation local when origin.InSameGraph && graph is not null && ValueOrigins.Of(graph).SingleAssignment(local.Local) is not null:
                return (local.Local.Name, local.Local.ToDisplayString());
            case IParameterReferenceOperation parameter when origin.InSameGraph && !IsAssigned(graph!.OriginalOperation, parameter.Parameter):
                return (parameter.Parameter.Name, parameter.Parameter.ToDisplayString());
            case ILocalReferenceOperation or IParameterReferenceOperation:
                return StoredIn(origin.Mmap, length);
            default:
                return null;
        }
    }

    private static (string Text, string? Symbol)? StoredIn(IOperation mmap, IOperation lengthReference)
    {
        var body = mmap;
        while (body.Parent is not null)
        {
            body = body.Parent;
        }

        var symbol = lengthReference is ILocalReferenceOperation local ? (ISymbol)local.Local : ((IParameterReferenceOperation)lengthReference).Parameter;
        if (IsAssigned(body, symbol, exceptInitialization: true))
        {
            return null;
        }

        (string, string?)? found = null;
        foreach (var operation in OperationWalk.WithSelf(body))
        {
            if (operation.Kind != OperationKind.SimpleAssignment)
            {
                continue;
            }

            if (operation is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field } assignment
                && StripConversions(assignment.Value) is { } stored
                && SymbolEqualityComparer.Default.Equals(ReferencedSymbol(stored), symbol))
            {
                if (found is not null)
                {
                    return null;
                }

                found = (field.Field.Name, field.Field.ToDisplayString());
            }
        }

        return found;
    }

    private static ISymbol? ReferencedSymbol(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    private static bool IsAssigned(IOperation body, ISymbol symbol, bool exceptInitialization = false)
        => WriteCount(body, symbol) > (exceptInitialization ? 1 : 0);

    private static int WriteCount(IOperation body, ISymbol symbol)
    {
        var writes = 0;
        foreach (var operation in OperationWalk.WithSelf(body))
        {
            if (operation.Kind is not (OperationKind.SimpleAssignment or OperationKind.CompoundAssignment or OperationKind.DeconstructionAssignment
                or OperationKind.CoalesceAssignment or OperationKind.Increment or OperationKind.Decrement or OperationKind.Argument
                or OperationKind.AddressOf or OperationKind.VariableDeclarator))
            {
                continue;
            }

            var target = operation switch
            {
                IAssignmentOperation assignment => assignment.Target,
                IIncrementOrDecrementOperation step => step.Target,
                IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                IAddressOfOperation addressOf => addressOf.Reference,
                _ => null,
            };
            if ((target is not null && SymbolEqualityComparer.Default.Equals(ReferencedSymbol(target), symbol))
                || (operation is IVariableDeclaratorOperation { Initializer: not null } declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, symbol)))
            {
                writes++;
            }
        }

        return writes;
    }
}
