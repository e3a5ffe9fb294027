using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2006: MSG_NOSIGNAL cast into System.Net.Sockets.SocketFlags.</summary>
public sealed class NoSignalSocketFlagsAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.NoSignalSocketFlags,
        "Do not cast MSG_NOSIGNAL into SocketFlags",
        "MSG_NOSIGNAL (0x4000) is not a SocketFlags value: Socket.Send fails with 'Operation not supported'; remove it",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "MSG_NOSIGNAL keeps a raw send from raising SIGPIPE. System.Net.Sockets.Socket does not need it: the runtime " +
            "ignores SIGPIPE, so a send to a closed peer fails with a SocketException. SocketFlags has no such member, and " +
            "the runtime rejects unknown bits: Socket.Send with (SocketFlags)0x4000 throws SocketException " +
            "(OperationNotSupported) on every call, measured on .NET 10. MSG_NOSIGNAL belongs only to raw send, sendto " +
            "and sendmsg.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.NoSignalSocketFlags));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.NotAnalyzed);
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.GetTypeByMetadataName("System.Net.Sockets.SocketFlags") is not { } socketFlags)
            {
                return;
            }

            var surfaces = PosixSurfaces.Create(start.Compilation);
            start.RegisterOperationAction(GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeConversion(operation, socketFlags, surfaces)), OperationKind.Conversion);
        });
    }

    private static void AnalyzeConversion(OperationAnalysisContext context, INamedTypeSymbol socketFlags, PosixSurfaces surfaces)
    {
        var conversion = (IConversionOperation)context.Operation;
        // Most conversions in any project are implicit: that flag rules them out before any symbol comparison.
        if (conversion.IsImplicit
            || !SymbolEqualityComparer.Default.Equals(conversion.Type, socketFlags)
            || SymbolEqualityComparer.Default.Equals(conversion.Operand.Type, socketFlags)
            || !SignalValues.ContainsFlag(conversion.Operand, SignalValues.MSG_NOSIGNAL, surfaces, context.CancellationToken))
        {
            return;
        }

        // The fixer removes the operand that carries the flag: the whole cast, or one leaf of an or inside it.
        // (none when the flag is folded into a larger constant such as 0x4040).
        var flag = SignalValues.IntegerValue(conversion.Operand, surfaces, context.CancellationToken) == SignalValues.MSG_NOSIGNAL
            ? conversion
            : FlagLeaf(conversion.Operand, surfaces, context);
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(),
            additionalLocations: flag is null ? null : new[] { flag.Syntax.GetLocation() }));
    }

    /// <summary>The operand of an or-tree that is exactly MSG_NOSIGNAL, when the flag is one leaf among others.</summary>
    private static IOperation? FlagLeaf(IOperation operand, PosixSurfaces surfaces, OperationAnalysisContext context)
    {
        var value = SignalValues.SkipConversions(operand);
        if (value is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Or } or)
        {
            return null;
        }

        foreach (var side in new[] { or.LeftOperand, or.RightOperand })
        {
            if (SignalValues.IntegerValue(side, surfaces, context.CancellationToken) == SignalValues.MSG_NOSIGNAL)
            {
                return side;
            }

            if (FlagLeaf(side, surfaces, context) is { } nested)
            {
                return nested;
            }
        }

        return null;
    }
}
