using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX3001: mmap, mremap and shmat fail with MAP_FAILED ((void*)-1), never NULL.</summary>
public sealed class UncheckedMmapResultAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";
    public const string ShapeProperty = "Shape";
    public const string UncheckedShape = "Unchecked";
    public const string DiscardedShape = "Discarded";
    public const string WrongSentinelShape = "WrongSentinel";

    private const string Title = "Compare the result of mmap with MAP_FAILED before using it";
    private const string Description =
        "mmap, mremap and shmat return MAP_FAILED ((void*)-1) on failure, never NULL. A result that is used before it is " +
        "compared with MAP_FAILED turns a failed mapping (ENOMEM, EACCES, EINVAL, a full address space) into a wild " +
        "pointer: the process crashes far from the cause or writes through address 0xffffffffffffffff. Comparing with " +
        "NULL, IntPtr.Zero or 0 lets every failure through. A discarded result also leaks a successful mapping, which " +
        "can then never be unmapped.";

    public static readonly DiagnosticDescriptor UncheckedRule = new(
        RuleIds.UncheckedMmapResult,
        Title,
        "The result of '{0}' is used before it is compared with MAP_FAILED; check it and throw with errno first",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedMmapResult));

    public static readonly DiagnosticDescriptor DiscardedRule = new(
        RuleIds.UncheckedMmapResult,
        Title,
        "The result of '{0}' is discarded; keep it, compare it with MAP_FAILED and unmap it when done",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedMmapResult));

    public static readonly DiagnosticDescriptor WrongSentinelRule = new(
        RuleIds.UncheckedMmapResult,
        Title,
        "'{0}' fails with MAP_FAILED ((void*)-1), never '{1}'; compare the result with MAP_FAILED instead",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedMmapResult));

    private static readonly FunctionSet MappingFunctions = PosixSurfaces.Functions("mmap", "mmap64", "mremap", "shmat");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(UncheckedRule, DiscardedRule, WrongSentinelRule);

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

            var values = surfaces.Values;
            start.RegisterOperationAction(LibcCallAction.Create(surfaces, GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces, values))), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces, LibcValues values)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!surfaces.TryGetCallThroughWrappers(invocation.TargetMethod, MappingFunctions, out var call) || !IsAddress(invocation.Type))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, call.Surface.ToString());
        if (IsDiscarded(invocation))
        {
            context.ReportDiagnostic(Diagnostic.Create(DiscardedRule, invocation.Syntax.GetLocation(),
                properties.Add(ShapeProperty, DiscardedShape), call.Function));
            return;
        }

        if (context.TryGetGraph() is not { } graph
            || ControlFlowGraphs.Find(graph, invocation.Syntax, context.CancellationToken) is not { } position)
        {
            return;
        }

        var origins = ValueOrigins.Of(position.Graph);
        var uses = new PointerUses(surfaces, operand => values.IntegerValue(operand, origins.SingleAssignment, context.CancellationToken), failure: -1);
        var result = PointerUses.SkipRepresentationChanges(position.Operation);

        if (result.Parent is ISimpleAssignmentOperation assignment && assignment.Value == result && HolderOf(assignment.Target) is { } holder)
        {
            // `if ((p = mmap(...)) == MAP_FAILED)`: the assignment's own value may be the check.
            var asValue = assignment.Parent is null ? ValueUse.Escape : uses.Classify(assignment);
            if (asValue != ValueUse.Escape)
            {
                Report(context, call, properties, invocation, asValue, assignment);
                return;
            }

            var flow = CheckedBeforeUse.Analyze(position, holder, uses.Classify);
            if (!flow.AnyCheck && !flow.WrongChecks.IsEmpty)
            {
                foreach (var wrongCheck in flow.WrongChecks)
                {
                    ReportWrongSentinel(context, call, properties, wrongCheck);
                }
            }
            else if (!flow.UncheckedUses.IsEmpty)
            {
                ReportUnchecked(context, call, properties, invocation, flow.UncheckedUses[0], assignment.Target);
            }

            return;
        }

        Report(context, call, properties, invocation, uses.Classify(result), result);
    }

    private static void Report(
        OperationAnalysisContext context, LibcCall call, ImmutableDictionary<string, string?> properties,
        IInvocationOperation invocation, ValueUse use, IOperation value)
    {
        if (use == ValueUse.WrongCheck)
        {
            ReportWrongSentinel(context, call, properties, value);
        }
        else if (use == ValueUse.Use)
        {
            ReportUnchecked(context, call, properties, invocation, value, holder: null);
        }
    }

    private static void ReportUnchecked(
        OperationAnalysisContext context, LibcCall call, ImmutableDictionary<string, string?> properties,
        IInvocationOperation invocation, IOperation firstUse, IOperation? holder)
    {
        // The first use, then (when the result is stored) the variable that holds it: where the fix inserts its check.
        var additional = holder is null
            ? new[] { firstUse.Syntax.GetLocation() }
            : new[] { firstUse.Syntax.GetLocation(), holder.Syntax.GetLocation() };
        context.ReportDiagnostic(Diagnostic.Create(UncheckedRule, invocation.Syntax.GetLocation(),
            additionalLocations: additional,
            properties: properties.Add(ShapeProperty, UncheckedShape), call.Function));
    }

    private static void ReportWrongSentinel(
        OperationAnalysisContext context, LibcCall call, ImmutableDictionary<string, string?> properties, IOperation reference)
    {
        if (PointerUses.ComparisonOf(reference) is not { } comparison || PointerUses.ComparedAgainst(comparison, reference) is not { } sentinel)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(WrongSentinelRule, comparison.Syntax.GetLocation(),
            additionalLocations: new[] { sentinel.Syntax.GetLocation() },
            properties: properties.Add(ShapeProperty, WrongSentinelShape), call.Function, SentinelText(sentinel)));
    }

    /// <summary>The null-like value as written (<c>IntPtr.Zero</c>, <c>null</c>, <c>0</c>), or "NULL" when that is too long for one line.</summary>
    private static string SentinelText(IOperation sentinel)
    {
        var written = sentinel.Syntax.ToString();
        return written.Length <= 24 && written.IndexOf('\n') < 0 ? written : "NULL";
    }

    private static bool IsDiscarded(IInvocationOperation invocation)
    {
        var parent = OperationFacts.OutermostConversion(invocation).Parent;
        return parent is IExpressionStatementOperation
            || parent is ISimpleAssignmentOperation { Target: IDiscardOperation, Parent: IExpressionStatementOperation };
    }

    private static bool IsAddress(ITypeSymbol? type)
        => type is IPointerTypeSymbol || LibcValues.IsNativeInteger(type) || type?.SpecialType is SpecialType.System_Int64 or SpecialType.System_UInt64;

    private static ISymbol? HolderOf(IOperation target) => target switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        _ => null,
    };
}
