using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>
/// PSX4004: calls that fail with EINTR even under SA_RESTART, whose -1 is treated as a failure with no EINTR retry.
/// The list is what the probe in tests/SafePosix.Facts.Eintr measured in a .NET process: the runtime's own handlers
/// (PosixSignalRegistration, SIGCHLD) use SA_RESTART, so read, write, accept and waitpid are restarted there and are
/// not on it; poll, epoll_wait, select, nanosleep, msgrcv and semop fail with EINTR under any handler.
/// </summary>
public sealed class EintrNotRetriedAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";

    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.EintrNotRetried,
        "Retry calls that fail with EINTR",
        "'{0}' fails with EINTR when a signal arrives, even under SA_RESTART; retry it on EINTR instead of failing",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "poll, epoll_wait, select, nanosleep, msgrcv, msgsnd, semop and sigtimedwait are never restarted by the " +
            "kernel: a signal delivered to the waiting thread makes them return -1 with errno EINTR, whatever SA_RESTART " +
            "says. A .NET process receives signals in ordinary operation: SIGCHLD whenever a child started with " +
            "Process.Start exits, any signal registered with PosixSignalRegistration, terminal signals. Code that treats " +
            "that -1 as a failure throws or gives up at random. Retry the call while it fails with EINTR.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.EintrNotRetried));

    /// <summary>Measured (poll, epoll_wait, select, nanosleep, msgrcv, semop) or listed by signal(7) as never restarted.</summary>
    internal static readonly FunctionSet NeverRestarted = PosixSurfaces.Functions(
        "poll", "ppoll", "epoll_wait", "epoll_pwait", "select", "pselect", "nanosleep", "msgrcv", "msgsnd", "semop",
        "semtimedop", "sigtimedwait", "sigwaitinfo");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.NotAnalyzed);
        context.RegisterCompilationStartAction(start =>
        {
            var surfaces = PosixSurfaces.Create(start.Compilation);
            if (!surfaces.MayCallMatchedFunction)
            {
                return;
            }

            start.RegisterOperationAction(LibcCallAction.Create(surfaces, GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces))), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, NeverRestarted, out var call))
        {
            return;
        }

        var body = BodyOf(invocation);
        if (!IsFailureChecked(invocation, body) || TestsEintr(body, surfaces) || RepeatedByItsLoop(invocation) || HandsErrnoBack(context, invocation, body, surfaces))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, call.Surface.ToString()), call.Function));
    }

    /// <summary>The result, directly or through the local it is stored in, is compared with a failure value (-1, &lt; 0).</summary>
    private static bool IsFailureChecked(IInvocationOperation invocation, IOperation body)
    {
        var value = Parent(invocation);
        if (value is IBinaryOperation comparison && IsFailureComparison(comparison))
        {
            return true;
        }

        ILocalSymbol? local = value switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => target.Local,
            _ => null,
        };
        if (local is null)
        {
            return false;
        }

        foreach (var reference in OperationTrees.LocalReferencesUnder(body))
        {
            if (SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && Parent(reference) is IBinaryOperation check && IsFailureComparison(check))
            {
                return true;
            }
        }

        return false;
    }

    private static IOperation? Parent(IOperation operation)
    {
        var parent = operation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent;
    }

    /// <summary><c>x == -1</c>, <c>x != -1</c>, <c>x &lt; 0</c>, <c>x &gt;= 0</c>, <c>x &lt;= -1</c>, <c>x &gt; -1</c>, either way round.</summary>
    private static bool IsFailureComparison(IBinaryOperation comparison)
    {
        var constant = Constant(comparison.RightOperand) ?? Constant(comparison.LeftOperand);
        return (comparison.OperatorKind, constant) switch
        {
            (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals, -1) => true,
            (BinaryOperatorKind.LessThan or BinaryOperatorKind.GreaterThanOrEqual, 0) => true,
            (BinaryOperatorKind.GreaterThan or BinaryOperatorKind.LessThanOrEqual, 0) => Constant(comparison.LeftOperand) == 0,
            (BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan, -1) => true,
            _ => false,
        };

        static long? Constant(IOperation operand)
        {
            while (operand is IConversionOperation conversion)
            {
                operand = conversion.Operand;
            }

            return operand.ConstantValue is { HasValue: true, Value: int or long } ? System.Convert.ToInt64(operand.ConstantValue.Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        }
    }

    /// <summary>
    /// <c>while (nanosleep(&amp;t, &amp;t) == -1) { }</c> and <c>if (poll(...) &lt; 0) continue;</c>: the call is repeated after
    /// any failure, EINTR included, so it is not treated as one.
    /// </summary>
    private static bool RepeatedByItsLoop(IInvocationOperation invocation)
    {
        for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case ILocalFunctionOperation or IAnonymousFunctionOperation:
                    return false;
                case IWhileLoopOperation { Condition: { } condition } when condition.Syntax.Span.Contains(invocation.Syntax.Span):
                    return true;
                case IForLoopOperation { Condition: { } condition } when condition.Syntax.Span.Contains(invocation.Syntax.Span):
                    return true;
                case ILoopOperation loop:
                    return ContinuesOnFailure(loop);
            }
        }

        return false;
    }

    private static bool ContinuesOnFailure(ILoopOperation loop)
    {
        foreach (var operation in OperationWalk.Under(loop.Body))
        {
            if (operation.Kind == OperationKind.Conditional && operation is IConditionalOperation { Condition: var condition, WhenTrue: var whenTrue }
                && condition.DescendantsAndSelf().Any(c => c is IBinaryOperation comparison && IsFailureComparison(comparison))
                && whenTrue.DescendantsAndSelf().Any(b => b is IBranchOperation { BranchKind: BranchKind.Continue }))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Any EINTR test in the same function: a retry loop, or code that hands EINTR back to a retrying caller.</summary>
    private static bool TestsEintr(IOperation body, PosixSurfaces surfaces)
    {
        foreach (var operation in OperationTrees.Under(body, EintrTests.TestKinds))
        {
            if (EintrTests.IsEintrTest(operation, surfaces))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly OperationKinds ReturnsAndAssignments = new(OperationKind.Return, OperationKind.SimpleAssignment);

    /// <summary>
    /// The function gives this call's errno to its caller: returns a value computed from it (<c>return
    /// MapError(errno);</c>, <c>return -errno;</c>, a tuple holding it) or stores it in an <c>out</c> or <c>ref</c>
    /// parameter. The caller then sees EINTR and decides, as it does for a wrapper that returns the call's result; a
    /// throw gives it no such choice, nor does a <c>bool</c> or a message made from it. The errno must be this call's:
    /// the read's source, walked back on the graph, is the call (PSX5001's walk).
    /// </summary>
    private static bool HandsErrnoBack(OperationAnalysisContext context, IInvocationOperation call, IOperation body, PosixSurfaces surfaces)
    {
        ControlFlowGraph? graph = null;
        HashSet<IOperation>? judged = null;
        foreach (var operation in OperationTrees.Under(body, ReturnsAndAssignments))
        {
            var handedBack = operation switch
            {
                IReturnOperation { ReturnedValue: { } value } => value,
                ISimpleAssignmentOperation { Target: IParameterReferenceOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } } assignment => assignment.Value,
                _ => null,
            };
            if (handedBack is null || BodyOf(operation) != body)
            {
                continue;
            }

            var reads = new List<IOperation>();
            CollectErrnoReads(handedBack, surfaces, reads, depth: 0);
            foreach (var read in reads)
            {
                // One walk per read, however many returns hand it back.
                if (!(judged ??= new HashSet<IOperation>()).Add(read))
                {
                    continue;
                }

                graph ??= context.TryGetGraph();
                if (graph is null)
                {
                    return false;
                }

                if (ControlFlowGraphs.Find(graph, read.Syntax, context.CancellationToken) is { } position
                    && new ErrnoSources(surfaces, position.Graph, context.CancellationToken).Subject(position) is { } subject
                    && subject.Syntax == call.Syntax)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The errno reads a handed-back value carries as a number: its own, and through locals assigned once (an
    /// assignment every path to the use passes). Not through a comparison or a string: the caller cannot see EINTR
    /// in a <c>bool</c> or a message.
    /// </summary>
    private static void CollectErrnoReads(IOperation value, PosixSurfaces surfaces, List<IOperation> reads, int depth)
    {
        foreach (var part in OperationWalk.WithSelf(value))
        {
            var isRead = part.Kind is OperationKind.Invocation or OperationKind.PropertyReference && EintrTests.IsErrnoRead(part, surfaces);
            var isLocal = part.Kind == OperationKind.LocalReference;
            if ((!isRead && !isLocal) || LosesTheNumber(part, value))
            {
                continue;
            }

            if (isRead)
            {
                reads.Add(part);
            }
            else if (depth < 3 && EintrTests.AssignedValuesOf((ILocalReferenceOperation)part) is { Count: 1 } single)
            {
                CollectErrnoReads(single[0], surfaces, reads, depth + 1);
            }
        }
    }

    /// <summary>Between the part and the value it is in, something makes a bool or a string of it.</summary>
    private static bool LosesTheNumber(IOperation part, IOperation value)
    {
        for (var current = part; current is not null; current = current.Parent)
        {
            if (current.Kind is OperationKind.InterpolatedString
                || current.Type?.SpecialType is SpecialType.System_Boolean or SpecialType.System_String
                || (current.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                    && nullable.TypeArguments[0].SpecialType == SpecialType.System_Boolean))
            {
                return true;
            }

            if (current == value)
            {
                break;
            }
        }

        return false;
    }

    private static IOperation BodyOf(IOperation operation)
    {
        var current = operation;
        while (current.Parent is { } parent)
        {
            current = parent;
            if (current is ILocalFunctionOperation or IAnonymousFunctionOperation)
            {
                break;
            }
        }

        return current;
    }
}
