using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>What an operation in a fork child does that is not async-signal-safe.</summary>
internal enum ChildWorkKind
{
    /// <summary>A call into managed code (a method, a property accessor, <c>Environment.Exit</c>).</summary>
    ManagedCall,

    /// <summary>A managed allocation: <c>new</c>, an array, string concatenation or interpolation, a delegate.</summary>
    Allocation,

    /// <summary>A libc call whose arguments the runtime marshals (strings, string arrays): managed code and malloc in the child.</summary>
    Marshalling,

    /// <summary>A write to a variable, field, element or property: in a vfork child, to memory the parent shares.</summary>
    Assignment,

    /// <summary>A libc call other than exec* and _exit.</summary>
    LibcCall,
}

/// <summary>One piece of work found in a child operation; <see cref="Outermost"/> is false inside another one.</summary>
internal readonly struct ChildWorkItem
{
    private readonly string? _name;

    /// <param name="name">The name, when it costs nothing to have; null to write it from the operation when a message asks (most items are only counted).</param>
    public ChildWorkItem(ChildWorkKind kind, IOperation operation, string? name, bool outermost)
    {
        Kind = kind;
        Operation = operation;
        _name = name;
        Outermost = outermost;
    }

    public ChildWorkKind Kind { get; }

    public IOperation Operation { get; }

    /// <summary>What to call it in a message: <c>Console.WriteLine</c>, <c>string[]</c>, <c>execv</c>, <c>path</c> (at most <see cref="ChildWork.MaxNameLength"/> characters).</summary>
    public string Name => ChildWork.ShortName(_name ?? ChildWork.NameOf(Kind, Operation));

    public bool Outermost { get; }
}

/// <summary>Lists the work a child operation does, for messages (PSX1001) and for per-operation reports (PSX1002).</summary>
internal static class ChildWork
{
    /// <summary>Names go into one-line messages: longer ones keep their last member name, then get cut.</summary>
    public const int MaxNameLength = 32;

    /// <summary>Keeps a written name within <see cref="MaxNameLength"/>: the last member name, then a cut.</summary>
    public static string ShortName(string name)
    {
        if (name.Length <= MaxNameLength)
        {
            return name;
        }

        var lastDot = name.LastIndexOf('.');
        var member = lastDot >= 0 && lastDot < name.Length - 1 ? name.Substring(lastDot + 1) : name;
        return member.Length <= MaxNameLength ? member : member.Substring(0, MaxNameLength - 3) + "...";
    }

    /// <summary>The name of an item recorded without one: the assigned target, the callee or property, the allocated type.</summary>
    internal static string NameOf(ChildWorkKind kind, IOperation operation) => kind switch
    {
        ChildWorkKind.Assignment => operation is ISimpleAssignmentOperation assignment ? assignment.Target.Syntax.ToString() : FirstChildText(operation),
        ChildWorkKind.ManagedCall => operation is IInvocationOperation invocation ? CalleeName(invocation) : PropertyName((IPropertyReferenceOperation)operation),
        _ => TypeName(operation.Type),
    };

    public static List<ChildWorkItem> Find(IOperation operation, ProcessCalls calls)
    {
        var items = new List<ChildWorkItem>();
        Visit(operation, calls, items, outermost: true);
        return items;
    }

    /// <summary>The kinds the cases of <see cref="Visit"/> match; any other operation only has its children visited.</summary>
    private static readonly OperationKinds WorkKinds = new(
        OperationKind.FlowCaptureReference, OperationKind.FlowAnonymousFunction, OperationKind.Invocation,
        OperationKind.SimpleAssignment, OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement,
        OperationKind.DeconstructionAssignment, OperationKind.PropertyReference, OperationKind.ObjectCreation,
        OperationKind.ArrayCreation, OperationKind.AnonymousObjectCreation, OperationKind.DelegateCreation,
        OperationKind.InterpolatedString, OperationKind.Binary);

    private static void Visit(IOperation operation, ProcessCalls calls, List<ChildWorkItem> items, bool outermost)
    {
        // Most operations are none of the cases below: the kind says so before a row of interface tests.
        if (!WorkKinds.Contains(operation.Kind))
        {
            VisitChildren(operation, calls, items, outermost);
            return;
        }

        switch (operation)
        {
            case IFlowCaptureReferenceOperation or IFlowAnonymousFunctionOperation:
                return;
            case IInvocationOperation invocation:
                VisitInvocation(invocation, calls, items, outermost);
                return;
            case ISimpleAssignmentOperation { Target: var target, Value: var value } when target is not IFlowCaptureReferenceOperation:
                items.Add(new ChildWorkItem(ChildWorkKind.Assignment, operation, null, outermost));
                if (target is IPropertyReferenceOperation setter && IsManagedProperty(setter, calls))
                {
                    items.Add(new ChildWorkItem(ChildWorkKind.ManagedCall, setter, null, outermost: false));
                }

                Visit(value, calls, items, outermost: false);
                return;
            case ICompoundAssignmentOperation or IIncrementOrDecrementOperation or IDeconstructionAssignmentOperation:
                items.Add(new ChildWorkItem(ChildWorkKind.Assignment, operation, null, outermost));
                VisitChildren(operation, calls, items, outermost: false);
                return;
            case IPropertyReferenceOperation property when IsManagedProperty(property, calls):
                items.Add(new ChildWorkItem(ChildWorkKind.ManagedCall, operation, null, outermost));
                VisitChildren(operation, calls, items, outermost: false);
                return;
            case IObjectCreationOperation { Type.IsValueType: false } or IArrayCreationOperation or IAnonymousObjectCreationOperation
                or IDelegateCreationOperation or IInterpolatedStringOperation:
                items.Add(new ChildWorkItem(ChildWorkKind.Allocation, operation, null, outermost));
                VisitChildren(operation, calls, items, outermost: false);
                return;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String, ConstantValue.HasValue: false }:
                items.Add(new ChildWorkItem(ChildWorkKind.Allocation, operation, "string", outermost));
                VisitChildren(operation, calls, items, outermost: false);
                return;
            default:
                VisitChildren(operation, calls, items, outermost);
                return;
        }
    }

    private static void VisitInvocation(IInvocationOperation invocation, ProcessCalls calls, List<ChildWorkItem> items, bool outermost)
    {
        var method = invocation.TargetMethod;
        if (calls.Surfaces.TryGetLibcCall(method, out var call))
        {
            var kind = calls.Classify(invocation);
            if (kind is not (ChildCallKind.Exec or ChildCallKind.SafeExit))
            {
                items.Add(new ChildWorkItem(ChildWorkKind.LibcCall, invocation, call.Function, outermost));
                outermost = false;
            }

            if (MarshalsStrings(method, call.Surface))
            {
                items.Add(new ChildWorkItem(ChildWorkKind.Marshalling, invocation, call.Function, outermost: false));
            }

            // Exec and _exit are allowed; what computes their arguments is not.
            VisitChildren(invocation, calls, items, outermost);
            return;
        }

        items.Add(new ChildWorkItem(ChildWorkKind.ManagedCall, invocation, null, outermost));
        VisitChildren(invocation, calls, items, outermost: false);
    }

    private static void VisitChildren(IOperation operation, ProcessCalls calls, List<ChildWorkItem> items, bool outermost)
    {
        foreach (var child in operation.ChildOperations)
        {
            Visit(child, calls, items, outermost);
        }
    }

    /// <summary>Managed code runs to marshal strings for the project's own P/Invokes and for Mono.Posix (UnixMarshal).</summary>
    private static bool MarshalsStrings(IMethodSymbol method, Surfaces.PosixSurface surface)
    {
        if (surface == Surfaces.PosixSurface.Tmds)
        {
            return false;
        }

        foreach (var parameter in method.Parameters)
        {
            var type = parameter.Type is IArrayTypeSymbol array ? array.ElementType : parameter.Type;
            if (type.SpecialType == SpecialType.System_String || type.Name == "StringBuilder")
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsManagedProperty(IPropertyReferenceOperation property, ProcessCalls calls)
    {
        var type = property.Property.ContainingType;
        if (calls.Surfaces.BindingSurfaceOf(type) is not null)
        {
            // Tmds.LibC constants (SIGKILL, MAP_FAILED ...) are properties that return a literal.
            return false;
        }

        return !(property.Property.Name == "Length" && property.Instance?.Type is IArrayTypeSymbol or { SpecialType: SpecialType.System_String });
    }

    /// <summary>The callee as the user wrote it (<c>Console.Error.WriteLine</c>), or Type.Method when that is long.</summary>
    private static string CalleeName(IInvocationOperation invocation)
    {
        if (invocation.Syntax is InvocationExpressionSyntax { Expression: var callee } && !invocation.IsImplicit)
        {
            var written = callee.ToString();
            if (written.Length <= 60 && written.IndexOf('\n') < 0)
            {
                return written;
            }
        }

        var method = invocation.TargetMethod;
        return method.ContainingType is { } type ? type.Name + "." + method.Name : method.Name;
    }

    private static string PropertyName(IPropertyReferenceOperation property)
    {
        if (property.Syntax is MemberAccessExpressionSyntax or IdentifierNameSyntax && !property.IsImplicit)
        {
            var written = property.Syntax.ToString();
            if (written.Length <= 60 && written.IndexOf('\n') < 0)
            {
                return written;
            }
        }

        return property.Property.ContainingType is { } type ? type.Name + "." + property.Property.Name : property.Property.Name;
    }

    private static string TypeName(ITypeSymbol? type)
        => type?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) ?? "object";

    private static string FirstChildText(IOperation operation)
    {
        foreach (var child in operation.ChildOperations)
        {
            return child.Syntax.ToString();
        }

        return operation.Syntax.ToString();
    }
}
