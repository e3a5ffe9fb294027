using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX3003: munmap must get the address mmap returned and the length it was given.</summary>
public sealed class MismatchedMunmapAnalyzer : DiagnosticAnalyzer
{
    public const string ShapeProperty = "Shape";
    public const string ZeroLengthShape = "ZeroLength";
    public const string LengthMismatchShape = "LengthMismatch";
    public const string NotMappingStartShape = "NotMappingStart";
    public const string MapFailedShape = "MapFailed";

    /// <summary>Source text naming the mapping's length where the munmap is, when one was found.</summary>
    public const string LengthTextProperty = "LengthText";

    /// <summary>The symbol that text must bind to (display string), or absent for a constant.</summary>
    public const string LengthSymbolProperty = "LengthSymbol";

    /// <summary>The mapping's length as a number, when it is a known constant.</summary>
    public const string LengthValueProperty = "LengthValue";

    private const string Title = "Unmap exactly what mmap mapped";
    private const string Description =
        "munmap(addr, length) must get an address on a page boundary, normally the one mmap returned, and a length that " +
        "covers the mapping. Linux fails munmap with EINVAL when the length is 0 or the address is not page-aligned " +
        "(a pointer moved past a header, MAP_FAILED), and the mapping then stays for the life of the process; a shorter " +
        "length than mmap's unmaps only the first pages and leaks the rest. Real wrappers call munmap(p, 0) in Dispose and " +
        "leak every mapping they make.";

    public static readonly DiagnosticDescriptor ZeroLengthRule = new(
        RuleIds.MismatchedMunmap,
        Title,
        "munmap with length 0 always fails with EINVAL and the mapping leaks; pass the length given to mmap",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.MismatchedMunmap));

    public static readonly DiagnosticDescriptor LengthMismatchRule = new(
        RuleIds.MismatchedMunmap,
        Title,
        "munmap length {0} differs from the mapping's {1} bytes, so pages leak; pass the length given to mmap",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.MismatchedMunmap));

    public static readonly DiagnosticDescriptor NotMappingStartRule = new(
        RuleIds.MismatchedMunmap,
        Title,
        "munmap address is not on a page boundary, so the call fails with EINVAL; pass the address mmap returned",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.MismatchedMunmap));

    public static readonly DiagnosticDescriptor MapFailedRule = new(
        RuleIds.MismatchedMunmap,
        Title,
        "munmap of MAP_FAILED always fails with EINVAL; unmap only a mapping that succeeded",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.MismatchedMunmap));

    private static readonly FunctionSet UnmapFunctions = PosixSurfaces.Functions("munmap");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(ZeroLengthRule, LengthMismatchRule, NotMappingStartRule, MapFailedRule);

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
        if (!LibcInvocation.MayBe(surfaces, invocation.TargetMethod, UnmapFunctions)
            || !LibcInvocation.TryCreate(surfaces, invocation, UnmapFunctions, context.CancellationToken, out var munmap)
            || munmap.Target.Parameters.Length != 2)
        {
            return;
        }

        // Through a wrapper, only what the caller passes in: a fixed address or length is reported in the wrapper.
        var address = munmap.Argument(0);
        var length = munmap.Argument(1);
        if (address is null && length is null)
        {
            return;
        }

        var cancellationToken = context.CancellationToken;
        if (address is not null && surfaces.Values.IntegerValue(address, null, cancellationToken) == -1)
        {
            context.ReportDiagnostic(Diagnostic.Create(MapFailedRule, address.Syntax.GetLocation(), Shape(MapFailedShape)));
            return;
        }

        ControlFlowGraph? graph = null;
        IOperation? addressInGraph = address, lengthInGraph = length;
        if ((address is not null && KnownIntegers.NeedsGraph(address)) || (length is not null && KnownIntegers.NeedsGraph(length)))
        {
            if (context.TryGetGraph() is { } found
                && ControlFlowGraphs.Find(found, invocation.Syntax, cancellationToken) is { Operation: IInvocationOperation inGraph } position)
            {
                graph = position.Graph;
                addressInGraph = munmap.With(inGraph).Argument(0);
                lengthInGraph = munmap.With(inGraph).Argument(1);
            }
        }

        var integers = new KnownIntegers(surfaces, graph, cancellationToken);
        if (address is not null && integers.Evaluate(addressInGraph).IsNotPageAligned)
        {
            context.ReportDiagnostic(Diagnostic.Create(NotMappingStartRule, address.Syntax.GetLocation(), Shape(NotMappingStartShape)));
            return;
        }

        if (length is null)
        {
            return;
        }

        var unmapLength = integers.Evaluate(lengthInGraph).Exact;
        if (unmapLength == 0)
        {
            var origin = addressInGraph is null ? null : MappingOrigins.Find(surfaces, addressInGraph, graph, cancellationToken);
            var properties = Shape(ZeroLengthShape);
            if (origin is not null)
            {
                properties = WithLength(properties, origin, graph, origin.InSameGraph ? integers : new KnownIntegers(surfaces, null, cancellationToken));
            }

            context.ReportDiagnostic(Diagnostic.Create(ZeroLengthRule, length.Syntax.GetLocation(), properties));
            return;
        }

        if (unmapLength is not { } unmapped || unmapped < 0 || graph is null || addressInGraph is null
            || MappingOrigins.Find(surfaces, addressInGraph, graph, cancellationToken) is not { InSameGraph: true } sameBody
            || integers.Evaluate(sameBody.Length).Exact is not { } mapped
            || mapped <= 0
            || Pages(mapped) == Pages(unmapped))
        {
            return;
        }

        // Lengths that round up to the same pages unmap the same memory: only a different page count is a leak or an overreach.
        context.ReportDiagnostic(Diagnostic.Create(LengthMismatchRule, length.Syntax.GetLocation(),
            WithLength(Shape(LengthMismatchShape), sameBody, graph, integers),
            unmapped.ToString(CultureInfo.InvariantCulture), mapped.ToString(CultureInfo.InvariantCulture)));
    }

    private static long Pages(long length) => (length + 4095) / 4096;

    private static ImmutableDictionary<string, string?> Shape(string shape)
        => ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, shape);

    private static ImmutableDictionary<string, string?> WithLength(
        ImmutableDictionary<string, string?> properties, MappingOrigin origin, ControlFlowGraph? graph, KnownIntegers integers)
    {
        if (origin.InSameGraph && integers.Evaluate(origin.Length).Exact is { } value)
        {
            properties = properties.Add(LengthValueProperty, value.ToString(CultureInfo.InvariantCulture));
        }
        else if (!origin.InSameGraph && origin.Length.ConstantValue is { HasValue: true, Value: { } constant })
        {
            properties = properties.Add(LengthValueProperty, System.Convert.ToString(constant, CultureInfo.InvariantCulture));
        }

        if (MappingOrigins.LengthName(origin, graph) is { } name)
        {
            properties = properties.Add(LengthTextProperty, name.Text);
            if (name.Symbol is not null)
            {
                properties = properties.Add(LengthSymbolProperty, name.Symbol);
            }
        }

        return properties;
    }
}
