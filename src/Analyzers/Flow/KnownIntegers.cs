using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// What is known about an integer: its exact value, or only its low 12 bits (its remainder modulo 4096, the
/// smallest Linux page size; every page size is a multiple of it), or only that those bits are not all zero.
/// </summary>
internal readonly struct KnownInteger : IEquatable<KnownInteger>
{
    public const int LowMask = 0xfff;

    private enum Kind : byte
    {
        Unknown,
        Exact,
        LowBits,
        NonZeroLowBits,
    }

    private readonly Kind _kind;
    private readonly long _value;

    private KnownInteger(Kind kind, long value)
    {
        _kind = kind;
        _value = value;
    }

    public static KnownInteger Unknown => default;

    /// <summary>A multiple of the page size, whatever the page size is.</summary>
    public static KnownInteger PageMultiple => new(Kind.LowBits, 0);

    public static KnownInteger Of(long value) => new(Kind.Exact, value);

    public static KnownInteger WithLowBits(long low) => new(Kind.LowBits, low & LowMask);

    private static KnownInteger NonZeroLowBits => new(Kind.NonZeroLowBits, 0);

    public bool IsUnknown => _kind == Kind.Unknown;

    public long? Exact => _kind == Kind.Exact ? _value : null;

    /// <summary>The value modulo 4096, when known.</summary>
    public long? Low => _kind is Kind.Exact or Kind.LowBits ? _value & LowMask : null;

    /// <summary>Proven not to be a multiple of 4096, hence of any page size.</summary>
    public bool IsNotPageAligned => _kind == Kind.NonZeroLowBits || Low is > 0;

    public static KnownInteger Join(KnownInteger left, KnownInteger right)
    {
        if (left._kind == Kind.Exact && right._kind == Kind.Exact && left._value == right._value)
        {
            return left;
        }

        if (left.Low is { } a && right.Low is { } b && a == b)
        {
            return WithLowBits(a);
        }

        return left.IsNotPageAligned && right.IsNotPageAligned ? NonZeroLowBits : Unknown;
    }

    public static KnownInteger Apply(BinaryOperatorKind kind, KnownInteger left, KnownInteger right)
    {
        if (left.Exact is { } x && right.Exact is { } y)
        {
            return ExactApply(kind, x, y) is { } exact ? Of(exact) : Unknown;
        }

        var a = left.Low;
        var b = right.Low;
        switch (kind)
        {
            case BinaryOperatorKind.Add:
            case BinaryOperatorKind.Subtract:
                if (a is { } la && b is { } lb)
                {
                    return WithLowBits(kind == BinaryOperatorKind.Add ? la + lb : la - lb);
                }

                return (left.IsNotPageAligned && b == 0) || (right.IsNotPageAligned && a == 0) ? NonZeroLowBits : Unknown;
            case BinaryOperatorKind.Multiply:
                return a == 0 || b == 0 ? PageMultiple : a is { } ma && b is { } mb ? WithLowBits(ma * mb) : Unknown;
            case BinaryOperatorKind.And:
                return a == 0 || b == 0 ? PageMultiple : a is { } aa && b is { } ab ? WithLowBits(aa & ab) : Unknown;
            case BinaryOperatorKind.Or:
                if (a is { } oa && b is { } ob)
                {
                    return WithLowBits(oa | ob);
                }

                return left.IsNotPageAligned || right.IsNotPageAligned ? NonZeroLowBits : Unknown;
            case BinaryOperatorKind.ExclusiveOr:
                return a is { } xa && b is { } xb ? WithLowBits(xa ^ xb) : Unknown;
            case BinaryOperatorKind.LeftShift when right.Exact is { } shift and >= 0 and < 64:
                return shift >= 12 ? PageMultiple : a is { } sa ? WithLowBits(sa << (int)shift) : Unknown;
            default:
                return Unknown;
        }
    }

    public static KnownInteger Apply(UnaryOperatorKind kind, KnownInteger operand)
    {
        switch (kind)
        {
            case UnaryOperatorKind.Plus:
                return operand;
            case UnaryOperatorKind.Minus:
                return operand.Exact is { } e ? Of(unchecked(-e)) : operand.Low is { } l ? WithLowBits(-l) : operand.IsNotPageAligned ? NonZeroLowBits : Unknown;
            case UnaryOperatorKind.BitwiseNegation:
                return operand.Exact is { } n ? Of(~n) : operand.Low is { } nl ? WithLowBits(~nl) : Unknown;
            default:
                return Unknown;
        }
    }

    /// <summary>The value after a conversion to an integer type: narrowing keeps the low bits, not the exact value.</summary>
    public KnownInteger ConvertTo(SpecialType type)
    {
        if (_kind != Kind.Exact)
        {
            return this;
        }

        return type switch
        {
            SpecialType.System_SByte => Of(unchecked((sbyte)_value)),
            SpecialType.System_Byte => Of(unchecked((byte)_value)),
            SpecialType.System_Int16 => Of(unchecked((short)_value)),
            SpecialType.System_UInt16 or SpecialType.System_Char => Of(unchecked((ushort)_value)),
            SpecialType.System_Int32 => Of(unchecked((int)_value)),
            SpecialType.System_UInt32 => Of(unchecked((uint)_value)),
            _ => this,
        };
    }

    private static long? ExactApply(BinaryOperatorKind kind, long x, long y) => kind switch
    {
        BinaryOperatorKind.Add => unchecked(x + y),
        BinaryOperatorKind.Subtract => unchecked(x - y),
        BinaryOperatorKind.Multiply => unchecked(x * y),
        BinaryOperatorKind.Divide when y != 0 && !(x == long.MinValue && y == -1) => x / y,
        BinaryOperatorKind.Remainder when y != 0 && y != -1 => x % y,
        BinaryOperatorKind.And => x & y,
        BinaryOperatorKind.Or => x | y,
        BinaryOperatorKind.ExclusiveOr => x ^ y,
        BinaryOperatorKind.LeftShift when y is >= 0 and < 64 => x << (int)y,
        BinaryOperatorKind.RightShift when y is >= 0 and < 64 => x >> (int)y,
        _ => null,
    };

    public bool Equals(KnownInteger other) => _kind == other._kind && _value == other._value;

    public override bool Equals(object? obj) => obj is KnownInteger other && Equals(other);

    public override int GetHashCode() => ((int)_kind * 397) ^ _value.GetHashCode();

    public override string ToString() => _kind switch
    {
        Kind.Exact => _value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Kind.LowBits => "page multiple + " + _value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Kind.NonZeroLowBits => "not page-aligned",
        _ => "unknown",
    };
}

/// <summary>
/// "What integer is this?" inside one control-flow graph: constants, the binding's constants, the page size
/// (<c>Environment.SystemPageSize</c>, <c>getpagesize()</c>, <c>sysconf(_SC_PAGESIZE)</c>), arithmetic and masks on
/// them, and locals followed back along every path to the assignments that reach the question. A local whose value
/// differs by path, is written through a reference or inside a lambda, or comes from a parameter is unknown.
/// </summary>
internal sealed class KnownIntegers
{
    /// <summary>The kinds that can take a local out of reach of <see cref="Reaching"/>: see <see cref="CollectUntrackable"/>.</summary>
    private static readonly OperationKinds UntrackableKinds = new(
        OperationKind.Argument, OperationKind.AddressOf, OperationKind.SimpleAssignment, OperationKind.DeclarationExpression,
        OperationKind.DeconstructionAssignment, OperationKind.DeclarationPattern, OperationKind.RecursivePattern,
        OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement, OperationKind.VariableDeclarator);

    private static readonly OperationKinds NestedFunctionKinds = new(OperationKind.AnonymousFunction, OperationKind.LocalFunction);

    private const int MaxDepth = 12;
    private const int MaxSteps = 400;

    /// <summary>Up to this many blocks, a top-level operation is found by scanning the graph rather than through a map.</summary>
    private const int ScannedBlocks = 64;

    private readonly PosixSurfaces _surfaces;
    private readonly ControlFlowGraph? _graph;
    private readonly CancellationToken _cancellationToken;
    private readonly HashSet<(object Key, int Block, int Index)> _inProgress = new();
    private IReadOnlyDictionary<IOperation, (BasicBlock Block, int Index)>? _positions;
    private IOperation? _lastRoot;
    private BasicBlock? _lastBlock;
    private int _lastIndex;
    private HashSet<ILocalSymbol>? _untrackable;
    private ValueOrigins? _origins;
    private int _steps;

    /// <summary>The static field whose initializer is being evaluated, when this evaluation is of one.</summary>
    private IFieldSymbol? _initializing;

    /// <param name="graph">The graph the evaluated operations belong to; without one, locals are unknown.</param>
    public KnownIntegers(PosixSurfaces surfaces, ControlFlowGraph? graph, CancellationToken cancellationToken)
    {
        _surfaces = surfaces;
        _graph = graph;
        _cancellationToken = cancellationToken;
    }

    public KnownInteger Evaluate(IOperation? operation) => Evaluate(operation, 0);

    /// <summary>Whether evaluating the operation can learn more from a graph (it reads locals or branches).</summary>
    public static bool NeedsGraph(IOperation operation)
    {
        foreach (var descendant in OperationWalk.WithSelf(operation))
        {
            if (descendant.Kind is not (OperationKind.LocalReference or OperationKind.Conditional or OperationKind.Coalesce))
            {
                continue;
            }

            if (descendant is ILocalReferenceOperation or IConditionalOperation or ICoalesceOperation)
            {
                return true;
            }
        }

        return false;
    }

    private KnownInteger Evaluate(IOperation? operation, int depth)
    {
        if (operation is null || depth > MaxDepth || ++_steps > MaxSteps)
        {
            return KnownInteger.Unknown;
        }

        if (operation.ConstantValue is { HasValue: true } constant)
        {
            return ToInt64(constant.Value) is { } value ? KnownInteger.Of(value) : KnownInteger.Unknown;
        }

        switch (operation)
        {
            case IConversionOperation conversion:
                // A cast between pointers and native integers keeps the address.
                if (!MappingValues.IsIntegerWrapperOperator(_surfaces, conversion.OperatorMethod)
                    || !IsIntegerOrPointer(conversion.Type) || !IsIntegerOrPointer(conversion.Operand.Type))
                {
                    return KnownInteger.Unknown;
                }

                return Evaluate(conversion.Operand, depth + 1).ConvertTo(SpecialTypeOf(conversion.Type));
            case IBinaryOperation { Type: IPointerTypeSymbol pointer } byteArithmetic
                when pointer.PointedAtType.SpecialType is SpecialType.System_Byte or SpecialType.System_SByte
                    && byteArithmetic.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract:
                // byte* plus or minus an integer moves the address by that many bytes.
                return KnownInteger.Apply(byteArithmetic.OperatorKind, Evaluate(byteArithmetic.LeftOperand, depth + 1), Evaluate(byteArithmetic.RightOperand, depth + 1));
            case IBinaryOperation binary:
                if (!MappingValues.IsIntegerWrapperOperator(_surfaces, binary.OperatorMethod) || !IsIntegerLike(binary.Type))
                {
                    return KnownInteger.Unknown;
                }

                return KnownInteger.Apply(binary.OperatorKind, Evaluate(binary.LeftOperand, depth + 1), Evaluate(binary.RightOperand, depth + 1))
                    .ConvertTo(SpecialTypeOf(binary.Type));
            case IUnaryOperation unary:
                if (!MappingValues.IsIntegerWrapperOperator(_surfaces, unary.OperatorMethod) || !IsIntegerLike(unary.Type))
                {
                    return KnownInteger.Unknown;
                }

                return KnownInteger.Apply(unary.OperatorKind, Evaluate(unary.Operand, depth + 1)).ConvertTo(SpecialTypeOf(unary.Type));
            case IObjectCreationOperation { Arguments.Length: 1 } creation when LibcValues.IsNativeInteger(creation.Type):
                return Evaluate(creation.Arguments[0].Value, depth + 1);
            case IFieldReferenceOperation { Instance: null, Field.Name: "Zero" } zero when LibcValues.IsNativeInteger(zero.Field.ContainingType):
                // IntPtr.Zero is a static field, not a constant: the usual offset and hint of P/Invoke mmap calls.
                return KnownInteger.Of(0);
            case IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true } field } when IsIntegerOrPointer(field.Type):
                return ReadonlyFieldValue(field, depth);
            case IPropertyReferenceOperation property:
                if (MappingValues.BindingConstant(_surfaces, property) is { } bindingValue)
                {
                    return KnownInteger.Of(bindingValue);
                }

                return IsPageSize(property, depth) ? KnownInteger.PageMultiple : KnownInteger.Unknown;
            case IInvocationOperation invocation:
                // A mapping starts on a page boundary (MAP_FAILED does not, but using it unchecked is PSX3001's finding).
                return IsPageSize(invocation, depth) || IsMapping(invocation) ? KnownInteger.PageMultiple : KnownInteger.Unknown;
            case ISimpleAssignmentOperation { IsRef: false } assignment:
                return Evaluate(assignment.Value, depth + 1);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return KnownInteger.Join(Evaluate(conditional.WhenTrue, depth + 1), Evaluate(whenFalse, depth + 1));
            case ILocalReferenceOperation local:
                return Locate(local, out var block, out var index) ? LocalAt(local.Local, block, index, depth + 1) : KnownInteger.Unknown;
            case IFlowCaptureReferenceOperation capture:
                return Locate(capture, out var captureBlock, out var captureIndex)
                    ? Reaching(capture.Id, captureBlock, captureIndex, depth + 1)
                    : KnownInteger.Unknown;
            default:
                return KnownInteger.Unknown;
        }
    }

    /// <summary>
    /// A <c>static readonly</c> field of this compilation holds its initializer's value once the type is set up: what is
    /// known of every value the initializer may take (<c>Model == 1 ? 0x20000000u : 0x3F000000u</c>, the peripheral
    /// base of Raspberry Pi code). Unknown when a static constructor of the type may assign it instead, when each thread
    /// sees its own copy (<c>[ThreadStatic]</c>), and, inside another initializer of the same type, when the field is
    /// not declared before that one: initializers run in declaration order, so a later field still reads 0 there.
    /// </summary>
    private KnownInteger ReadonlyFieldValue(IFieldSymbol field, int depth)
    {
        if (field.DeclaringSyntaxReferences.Length != 1
            || field.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            || field.ContainingType.StaticConstructors.Any(constructor => !constructor.IsImplicitlyDeclared)
            || field.GetAttributes().Any(attribute => attribute.AttributeClass is { Name: "ThreadStaticAttribute" })
            || (_initializing is not null && !IsInitializedBefore(declarator, _initializing))
            || _surfaces.Summaries.ModelOf(initializer.SyntaxTree)?.GetOperation(initializer, _cancellationToken) is not { } value)
        {
            return KnownInteger.Unknown;
        }

        // The initializer is not in this evaluation's graph: evaluated without one, within the same depth and step budget.
        var nested = new KnownIntegers(_surfaces, null, _cancellationToken) { _steps = _steps, _initializing = field };
        var known = nested.Evaluate(value, depth + 1);
        _steps = nested._steps;
        return known;
    }

    /// <summary>
    /// Whether a field read by the initializer of <paramref name="initializing"/> already holds its value then: a field
    /// of another type (its own type is set up first), or one declared earlier in the same type declaration.
    /// </summary>
    private bool IsInitializedBefore(VariableDeclaratorSyntax field, IFieldSymbol initializing)
    {
        if (initializing.DeclaringSyntaxReferences.Length != 1
            || initializing.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not { } initializingSyntax)
        {
            return false;
        }

        var fieldType = field.FirstAncestorOrSelf<TypeDeclarationSyntax>();
        var initializingType = initializingSyntax.FirstAncestorOrSelf<TypeDeclarationSyntax>();
        if (fieldType is null || initializingType is null)
        {
            return false;
        }

        if (fieldType != initializingType)
        {
            // Another type is set up before its field is read; another part of the same partial type runs in no set order.
            return !SymbolEqualityComparer.Default.Equals(initializing.ContainingType, _surfaces.Summaries.ModelOf(field.SyntaxTree)?.GetDeclaredSymbol(fieldType, _cancellationToken));
        }

        return field.SpanStart < initializingSyntax.SpanStart;
    }

    private bool IsMapping(IInvocationOperation invocation)
        => _surfaces.TryGetLibcCall(invocation.TargetMethod, MappingValues.MmapFunctions, out _)
            && (invocation.TargetMethod.ReturnType is IPointerTypeSymbol || LibcValues.IsNativeInteger(invocation.TargetMethod.ReturnType));

    private bool IsIntegerOrPointer(ITypeSymbol? type) => type is IPointerTypeSymbol || IsIntegerLike(type);

    private bool IsPageSize(IOperation operation, int depth)
        => MappingValues.IsPageSize(_surfaces, operation, name => Evaluate(name, depth + 1).Exact);

    private KnownInteger LocalAt(ILocalSymbol local, BasicBlock block, int index, int depth)
    {
        if (local.RefKind != RefKind.None || Untrackable().Contains(local))
        {
            return KnownInteger.Unknown;
        }

        return Reaching(local, block, index, depth);
    }

    /// <summary>
    /// Joins the values of the definitions that reach a position: walks back along every path to the nearest
    /// top-level operation that defines the key. A path that reaches the graph's start without one (a parameter,
    /// a catch handler) makes the value unknown.
    /// </summary>
    private KnownInteger Reaching(object key, BasicBlock block, int index, int depth)
    {
        if (!_inProgress.Add((key, block.Ordinal, index)))
        {
            return KnownInteger.Unknown; // a loop that feeds the value back into itself
        }

        try
        {
            // Most locals are written earlier in the block that reads them: no walk over the graph.
            if (LastDefinition(key, block, index, out var near, out var nearIndex))
            {
                return DefinitionValue(near, block, nearIndex, depth);
            }

            if (block.Predecessors.IsEmpty)
            {
                return KnownInteger.Unknown;
            }

            KnownInteger? result = null;
            var visited = new bool[_graph!.Blocks.Length];
            var pending = new Stack<(BasicBlock Block, int End)>();
            foreach (var predecessor in block.Predecessors)
            {
                if (!visited[predecessor.Source.Ordinal])
                {
                    visited[predecessor.Source.Ordinal] = true;
                    pending.Push((predecessor.Source, predecessor.Source.Operations.Length + 1));
                }
            }

            while (pending.Count > 0)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                var (current, end) = pending.Pop();
                var found = LastDefinition(key, current, end, out var definition, out var at);
                if (found)
                {
                    var value = DefinitionValue(definition, current, at, depth);
                    result = result is { } previous ? KnownInteger.Join(previous, value) : value;
                }

                if (result is { IsUnknown: true })
                {
                    return KnownInteger.Unknown;
                }

                if (found)
                {
                    continue;
                }

                if (current.Predecessors.IsEmpty)
                {
                    return KnownInteger.Unknown;
                }

                foreach (var predecessor in current.Predecessors)
                {
                    if (!visited[predecessor.Source.Ordinal])
                    {
                        visited[predecessor.Source.Ordinal] = true;
                        pending.Push((predecessor.Source, predecessor.Source.Operations.Length + 1));
                    }
                }
            }

            return result ?? KnownInteger.Unknown;
        }
        finally
        {
            _inProgress.Remove((key, block.Ordinal, index));
        }
    }

    private KnownInteger DefinitionValue(IOperation definition, BasicBlock block, int index, int depth)
    {
        switch (definition)
        {
            case IFlowCaptureOperation capture:
                return Evaluate(capture.Value, depth + 1);
            case ISimpleAssignmentOperation assignment:
                return Evaluate(assignment.Value, depth + 1);
            case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target } compound
                when MappingValues.IsIntegerWrapperOperator(_surfaces, compound.OperatorMethod) && IsIntegerLike(target.Type):
                return KnownInteger.Apply(compound.OperatorKind, LocalAt(target.Local, block, index, depth + 1), Evaluate(compound.Value, depth + 1))
                    .ConvertTo(SpecialTypeOf(target.Type));
            case ICompoundAssignmentOperation { Target: ILocalReferenceOperation { Type: IPointerTypeSymbol pointer } target } moved
                when pointer.PointedAtType.SpecialType is SpecialType.System_Byte or SpecialType.System_SByte
                    && moved.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract:
                return KnownInteger.Apply(moved.OperatorKind, LocalAt(target.Local, block, index, depth + 1), Evaluate(moved.Value, depth + 1));
            case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation target } step
                when MappingValues.IsIntegerWrapperOperator(_surfaces, step.OperatorMethod) && IsIntegerLike(target.Type):
                var kind = step.Kind == OperationKind.Increment ? BinaryOperatorKind.Add : BinaryOperatorKind.Subtract;
                return KnownInteger.Apply(kind, LocalAt(target.Local, block, index, depth + 1), KnownInteger.Of(1)).ConvertTo(SpecialTypeOf(target.Type));
            default:
                return KnownInteger.Unknown;
        }
    }

    /// <summary>
    /// The last statement of a block before position <paramref name="end"/> (exclusive; positions 0..n-1 are the
    /// block's operations, n its branch value) that defines the key: a write to a local, or a flow capture.
    /// </summary>
    private bool LastDefinition(object key, BasicBlock block, int end, out IOperation definition, out int index)
    {
        if (key is ILocalSymbol local)
        {
            // The graph's writes are indexed once, by ValueOrigins' walk, instead of walking each statement here.
            _origins ??= GraphFacts.Of(_graph!).Origins;
            return _origins.TryGetLastWrite(local, block.Ordinal, end, out definition, out index);
        }

        var id = (CaptureId)key;
        for (index = end - 1; index >= 0; index--)
        {
            if (ControlFlowGraphs.StatementAt(block, index) is IFlowCaptureOperation capture && capture.Id.Equals(id))
            {
                definition = capture;
                return true;
            }
        }

        definition = null!;
        return false;
    }

    /// <summary>Locals this walk cannot follow: written through a reference, by a pattern or deconstruction, or inside a lambda or local function.</summary>
    /// <remarks>The same for every evaluation on a graph, and several rules evaluate on each: computed once per graph.</remarks>
    private HashSet<ILocalSymbol> Untrackable()
    {
        if (_untrackable is not null)
        {
            return _untrackable;
        }

        return _untrackable = _graph is null
            ? new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default)
            : UntrackableLocals(_graph);
    }

    /// <summary>The graph's locals no walk can follow, shared by every rule that asks (computed once per graph).</summary>
    internal static HashSet<ILocalSymbol> UntrackableLocals(ControlFlowGraph graph)
        => GraphFacts.Of(graph).UntrackableLocals(g => CollectUntrackable(g.OriginalOperation));

    private static HashSet<ILocalSymbol> CollectUntrackable(IOperation root)
    {
        var untrackable = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);

        // Most bodies hold no lambda or local function: then no write is inside one, and no assignment need walk up
        // to the root to find out.
        var hasNestedFunction = false;
        foreach (var _ in OperationTrees.Under(root, NestedFunctionKinds))
        {
            hasNestedFunction = true;
            break;
        }

        // The body's operations are collected once and shared with the rules that scan the same body. The switch is
        // on the kind: most operations are none of these, and a kind test is cheaper than a row of interface casts.
        foreach (var operation in OperationTrees.Under(root, UntrackableKinds))
        {
            switch (operation.Kind)
            {
                case OperationKind.Argument when operation is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument:
                    // `ref x`, and `ref (c ? ref a : ref b)`: the callee may write any of them.
                    AddLocalsOf(argument.Value, untrackable);
                    break;
                case OperationKind.AddressOf when operation is IAddressOfOperation { Reference: ILocalReferenceOperation local }:
                    untrackable.Add(local.Local);
                    break;
                case OperationKind.VariableDeclarator
                    when operation is IVariableDeclaratorOperation { Symbol.RefKind: RefKind.Ref } declarator
                         && declarator.GetVariableInitializer()?.Value is { } reference:
                    // `ref var r = ref x;`, `ref (c ? ref a : ref b)`, `ref Unsafe.AsRef(in x)`: a later write
                    // through r may write any local the reference was made from.
                    AddLocalsOf(reference, untrackable);
                    break;
                case OperationKind.SimpleAssignment:
                    var assignment = (ISimpleAssignmentOperation)operation;
                    if (assignment.IsRef)
                    {
                        // `r = ref x;`, `r = ref (c ? ref a : ref b);`: a later write through r writes one of them.
                        AddLocalsOf(assignment.Value, untrackable);
                    }
                    else if (hasNestedFunction && assignment.Target is ILocalReferenceOperation assigned && OperationFacts.InsideNestedFunction(operation, root))
                    {
                        untrackable.Add(assigned.Local);
                    }

                    break;
                case OperationKind.DeclarationExpression or OperationKind.DeconstructionAssignment or OperationKind.DeclarationPattern or OperationKind.RecursivePattern:
                    foreach (var reference in OperationWalk.WithSelf(operation))
                    {
                        if (reference.Kind == OperationKind.LocalReference && reference is ILocalReferenceOperation declared)
                        {
                            untrackable.Add(declared.Local);
                        }
                    }

                    if (operation is IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol patternLocal })
                    {
                        untrackable.Add(patternLocal);
                    }

                    if (operation is IRecursivePatternOperation { DeclaredSymbol: ILocalSymbol recursiveLocal })
                    {
                        untrackable.Add(recursiveLocal);
                    }

                    break;
                case OperationKind.CompoundAssignment when hasNestedFunction && ((ICompoundAssignmentOperation)operation).Target is ILocalReferenceOperation local && OperationFacts.InsideNestedFunction(operation, root):
                    untrackable.Add(local.Local);
                    break;
                case OperationKind.Increment or OperationKind.Decrement
                    when hasNestedFunction && ((IIncrementOrDecrementOperation)operation).Target is ILocalReferenceOperation local && OperationFacts.InsideNestedFunction(operation, root):
                    untrackable.Add(local.Local);
                    break;
            }
        }

        return untrackable;
    }

    private static void AddLocalsOf(IOperation reference, HashSet<ILocalSymbol> untrackable)
    {
        foreach (var part in OperationWalk.WithSelf(reference))
        {
            if (part.Kind == OperationKind.LocalReference && part is ILocalReferenceOperation local)
            {
                untrackable.Add(local.Local);
            }
        }
    }


    private bool Locate(IOperation operation, out BasicBlock block, out int index)
    {
        block = null!;
        index = 0;
        if (_graph is null)
        {
            return false;
        }

        var root = operation;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        if (ReferenceEquals(root, _lastRoot))
        {
            (block, index) = (_lastBlock!, _lastIndex);
            return true;
        }

        if (!Find(root, out block, out index))
        {
            return false;
        }

        (_lastRoot, _lastBlock, _lastIndex) = (root, block, index);
        return true;
    }

    /// <summary>
    /// The block and index of a top-level operation. A scan of a small graph costs less than a map of its positions:
    /// a map hashes each operation by identity, and the first such hash of an object is its dearest.
    /// </summary>
    private bool Find(IOperation root, out BasicBlock block, out int index)
    {
        var blocks = _graph!.Blocks;
        if (blocks.Length <= ScannedBlocks)
        {
            foreach (var candidate in blocks)
            {
                for (var i = 0; i < candidate.Operations.Length; i++)
                {
                    if (ReferenceEquals(candidate.Operations[i], root))
                    {
                        (block, index) = (candidate, i);
                        return true;
                    }
                }

                if (ReferenceEquals(candidate.BranchValue, root))
                {
                    (block, index) = (candidate, candidate.Operations.Length);
                    return true;
                }
            }

            (block, index) = (null!, 0);
            return false;
        }

        _positions ??= GraphFacts.Of(_graph).Positions;
        if (!_positions.TryGetValue(root, out var position))
        {
            (block, index) = (null!, 0);
            return false;
        }

        (block, index) = position;
        return true;
    }

    private bool IsIntegerLike(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        return type.SpecialType switch
        {
            SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
                or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
                or SpecialType.System_IntPtr or SpecialType.System_UIntPtr or SpecialType.System_Char => true,
            _ => type.TypeKind == TypeKind.Struct && _surfaces.TmdsLibC is { } libc
                && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, libc.ContainingAssembly),
        };
    }

    private static SpecialType SpecialTypeOf(ITypeSymbol? type)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying } ? underlying.SpecialType : type?.SpecialType ?? SpecialType.None;

    private static long? ToInt64(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        sbyte sb => sb,
        uint ui => ui,
        ulong ul => unchecked((long)ul),
        ushort us => us,
        byte b => b,
        char c => c,
        _ => null,
    };
}
