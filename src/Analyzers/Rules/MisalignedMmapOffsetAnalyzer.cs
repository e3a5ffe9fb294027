using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX3002: mmap's offset must be a multiple of the page size; any other offset fails with EINVAL.</summary>
public sealed class MisalignedMmapOffsetAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";

    /// <summary>The offset's remainder modulo 4096, when the analysis knows it.</summary>
    public const string RemainderProperty = "Remainder";

    /// <summary>Present when the call goes through the project's wrapper: the wrapper's name (the fix then does not apply).</summary>
    public const string WrapperProperty = "Wrapper";

    internal const int OffsetOrdinal = 5;

    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.MisalignedMmapOffset,
        "Pass mmap an offset that is a multiple of the page size",
        "mmap offset {0} is not a multiple of the page size, so mmap fails with EINVAL; map from a page boundary",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "mmap requires its file offset to be a multiple of the page size (sysconf(_SC_PAGESIZE), Environment.SystemPageSize: " +
            "4096 on x86-64, 16 KiB or 64 KiB on some arm64 kernels) and fails with EINVAL otherwise. An offset that is not a " +
            "multiple of 4096 is wrong for every Linux page size. Map from the offset rounded down to a page " +
            "(offset & ~(pageSize - 1)), grow the length by the remainder, and add the remainder to the returned address.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.MisalignedMmapOffset));

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
        if (EvaluateOffset(context, surfaces) is not { } evaluated || !evaluated.Value.IsNotPageAligned)
        {
            return;
        }

        var (call, offset, value) = evaluated;
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(SurfaceProperty, call.Call.Surface.ToString())
            .Add(RemainderProperty, value.Low?.ToString(CultureInfo.InvariantCulture));
        var shown = value.Exact is { } exact ? exact.ToString(CultureInfo.InvariantCulture) : "'" + Shorten(offset.Syntax.ToString()) + "'";
        if (call.IsWrapped)
        {
            properties = properties.Add(WrapperProperty, call.ShownName);
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, offset.Syntax.GetLocation(), properties, shown));
    }

    /// <summary>
    /// What is known about the offset of an mmap call (direct, or the caller's argument through a wrapper); null when
    /// the invocation is no such call, the offset is a literal 0, or its graph is out of reach. Shared with PSX3005.
    /// </summary>
    internal static (LibcInvocation Call, IOperation Offset, KnownInteger Value)? EvaluateOffset(OperationAnalysisContext context, PosixSurfaces surfaces)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!LibcInvocation.MayBe(surfaces, invocation.TargetMethod, MappingValues.MmapFunctions))
        {
            return null;
        }

        // Through a wrapper, only an offset the caller passes in: one fixed in the wrapper is reported there.
        if (!LibcInvocation.TryCreate(surfaces, invocation, MappingValues.MmapFunctions, context.CancellationToken, out var call)
            || call.Target.Parameters.Length != 6
            || call.Argument(OffsetOrdinal) is not { } offset)
        {
            return null;
        }

        // Most offsets are a literal 0: leave before building anything.
        if (offset.ConstantValue is { HasValue: true, Value: 0 or 0L })
        {
            return null;
        }

        var value = new KnownIntegers(surfaces, null, context.CancellationToken).Evaluate(offset);
        if (!value.IsNotPageAligned && KnownIntegers.NeedsGraph(offset))
        {
            if (context.TryGetGraph() is not { } graph
                || ControlFlowGraphs.Find(graph, invocation.Syntax, context.CancellationToken) is not { Operation: IInvocationOperation inGraph } position
                || call.With(inGraph).Argument(OffsetOrdinal) is not { } offsetInGraph)
            {
                return null;
            }

            value = new KnownIntegers(surfaces, position.Graph, context.CancellationToken).Evaluate(offsetInGraph);
        }

        return (call, offset, value);
    }

    /// <summary>
    /// The wrapper's own parameter, passed on unchanged to mmap's offset, in a wrapper only this compilation can call:
    /// its callers' arguments are judged at each call site, so the wrapper's body is not reported. A wrapper other
    /// assemblies can call, or one called through a base or interface method, is reported: its callers are out of sight.
    /// </summary>
    internal static bool IsPassedOnByWrapper(PosixSurfaces surfaces, ISymbol? containing, IOperation offset, System.Threading.CancellationToken cancellationToken)
    {
        while (offset is IConversionOperation conversion)
        {
            offset = conversion.Operand;
        }

        return offset is IParameterReferenceOperation parameter
            && containing is IMethodSymbol method
            && SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, method)
            && !IsVisibleOutside(method)
            && !IsCalledThroughAnotherMethod(method)
            && surfaces.Summaries.TryGetWrappedCall(method, out var wrapped, cancellationToken)
            && wrapped.Arguments.Length > OffsetOrdinal
            && wrapped.Arguments[OffsetOrdinal].Parameter == parameter.Parameter.Ordinal;
    }

    /// <summary>
    /// An override or an interface implementation: its callers name the base or interface method (HidSharp's
    /// <c>NativeMethods.mmap</c>), which is not followed to it, so they are never judged. (A virtual method's own
    /// callers name it, and are followed.)
    /// </summary>
    private static bool IsCalledThroughAnotherMethod(IMethodSymbol method)
    {
        if (method.IsOverride || !method.ExplicitInterfaceImplementations.IsEmpty)
        {
            return true;
        }

        foreach (var implemented in method.ContainingType.AllInterfaces)
        {
            foreach (var member in implemented.GetMembers(method.Name))
            {
                if (SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(member), method))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsVisibleOutside(ISymbol symbol)
    {
        for (var current = symbol; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    internal static string Shorten(string text)
    {
        text = text.Replace("\r", string.Empty).Replace("\n", " ");
        return text.Length <= 24 ? text : text.Substring(0, 21) + "...";
    }
}
