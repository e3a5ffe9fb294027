using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX4006: close retried on EINTR can close a descriptor that another thread was just given.</summary>
public sealed class CloseRetriedOnEintrAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.CloseRetriedOnEintr,
        "Do not retry close on EINTR",
        "'close' is retried on EINTR, but Linux has already freed the descriptor and a retry may close another; call it once",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "On Linux, close releases the descriptor before it can report EINTR: the number is free again when close " +
            "returns, whatever it returns. A loop that calls close again on EINTR closes that number a second time. In a " +
            ".NET process other threads open files and sockets all the time, and one of them may have just been given " +
            "the number: the retry closes their descriptor, and their next read or write goes to whatever file gets " +
            "the number next. Call close once and treat EINTR as success.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.CloseRetriedOnEintr));

    private static readonly FunctionSet CloseFunctions = PosixSurfaces.Functions("close");

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
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, CloseFunctions, out _)
            || RetryLoop(invocation, surfaces) is null)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation()));
    }

    /// <summary>
    /// The loop that repeats this close on EINTR: the nearest while/do/for loop around it in the same function, in
    /// which close is the only libc call (so an EINTR test there is about close), the descriptor does not change from
    /// one iteration to the next, and something tests for EINTR.
    /// </summary>
    internal static ILoopOperation? RetryLoop(IInvocationOperation close, PosixSurfaces surfaces)
    {
        ILoopOperation? loop = null;
        for (var parent = close.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is ILocalFunctionOperation or IAnonymousFunctionOperation)
            {
                return null;
            }

            if (parent is ILoopOperation found)
            {
                loop = found;
                break;
            }
        }

        if (loop is null or IForEachLoopOperation || close.Arguments.Length == 0)
        {
            return null;
        }

        var descriptorSymbols = SymbolsIn(close.Arguments[0].Value);
        var testsEintr = false;
        foreach (var operation in OperationWalk.Under(loop))
        {
            // What the checks below can match: calls, functions, writes (WritesTo) and EINTR tests.
            if (operation.Kind is not (OperationKind.Invocation or OperationKind.LocalFunction or OperationKind.AnonymousFunction
                or OperationKind.SimpleAssignment or OperationKind.CompoundAssignment or OperationKind.DeconstructionAssignment
                or OperationKind.CoalesceAssignment or OperationKind.Increment or OperationKind.Decrement or OperationKind.Argument
                or OperationKind.Binary or OperationKind.IsPattern))
            {
                continue;
            }

            switch (operation)
            {
                case IInvocationOperation other when other != close && surfaces.TryGetLibcCall(other.TargetMethod, out _) && !EintrTests.IsErrnoRead(other, surfaces):
                    return null;
                case ILocalFunctionOperation or IAnonymousFunctionOperation:
                    continue;
            }

            if (WritesTo(operation, descriptorSymbols))
            {
                // `for (fd = 3; fd < max; fd++) close(fd)`: a new descriptor each time, not a retry.
                return null;
            }

            testsEintr |= EintrTests.IsEintrTest(operation, surfaces);
        }

        return testsEintr ? loop : null;
    }

    private static bool WritesTo(IOperation operation, List<ISymbol> descriptorSymbols)
    {
        var target = operation switch
        {
            IAssignmentOperation assignment => assignment.Target,
            IIncrementOrDecrementOperation increment => increment.Target,
            IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument => argument.Value,
            _ => null,
        };
        return target is not null && SymbolOf(target) is { } symbol && descriptorSymbols.Contains(symbol, SymbolEqualityComparer.Default);
    }

    /// <summary>The variables the descriptor expression reads: <c>fds[i]</c> reads fds and i. A handful: a list is enough.</summary>
    private static List<ISymbol> SymbolsIn(IOperation descriptor)
    {
        var symbols = new List<ISymbol>();
        foreach (var operation in OperationWalk.WithSelf(descriptor))
        {
            if (SymbolOf(operation) is { } symbol)
            {
                symbols.Add(symbol);
            }
        }

        return symbols;
    }

    private static ISymbol? SymbolOf(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        IArrayElementReferenceOperation element => SymbolOf(element.ArrayReference),
        IConversionOperation conversion => SymbolOf(conversion.Operand),
        _ => null,
    };
}
