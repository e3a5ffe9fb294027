using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2003: a wait status decoded without checking how the child ended, or a wait's pid decoded as a status.</summary>
public sealed class UncheckedWaitStatusAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The check the decoding needs (WIFEXITED, WIFSIGNALED, WIFSTOPPED, or <see cref="HandCheck"/>), and the status local's name.</summary>
    public const string CheckProperty = "Check";
    public const string StatusProperty = "Status";
    public const string HandCheck = "Hand";

    private const string Title = "Check how the child ended before decoding its wait status";
    private const string Description =
        "A wait status packs several answers into one int: WIFEXITED says the child called exit, and only then is " +
        "WEXITSTATUS ((status >> 8) & 0xff) its exit code; WIFSIGNALED says a signal killed it, and only then is WTERMSIG " +
        "(status & 0x7f) the signal; WIFSTOPPED/WSTOPSIG likewise. Decoding without the check turns a child killed by " +
        "SIGKILL or SIGSEGV into 'exit code 0': a crash reads as success. The return value of wait/waitpid is a pid (or " +
        "-1, or 0 with WNOHANG), never a status.";

    public static readonly DiagnosticDescriptor MacroRule = new(
        RuleIds.UncheckedWaitStatus,
        Title,
        "'{0}' is read without checking {1}: for a child that ended otherwise it means nothing; check first",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedWaitStatus));

    public static readonly DiagnosticDescriptor HandDecodedRule = new(
        RuleIds.UncheckedWaitStatus,
        Title,
        "Exit code decoded from '{0}' before checking that the child exited: a child killed by a signal reads as 0",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedWaitStatus));

    public static readonly DiagnosticDescriptor ReturnValueRule = new(
        RuleIds.UncheckedWaitStatus,
        Title,
        "'{0}' holds the pid the wait returned, not the child's status; decode the status argument instead",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedWaitStatus));

    public static readonly DiagnosticDescriptor DiscardedResultRule = new(
        RuleIds.UncheckedWaitStatus,
        Title,
        "'{0}' is read but the wait's result is discarded: on -1 (EINTR, ECHILD) it is garbage; check the result first",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedWaitStatus));

    public static readonly DiagnosticDescriptor FailedWaitRule = new(
        RuleIds.UncheckedWaitStatus,
        Title,
        "'{0}' is read where the wait may have returned {1} and written nothing; check that it returned a pid first",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.UncheckedWaitStatus));

    private static readonly FunctionSet Decoders = PosixSurfaces.Functions("WEXITSTATUS", "WTERMSIG", "WCOREDUMP", "WSTOPSIG");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(MacroRule, HandDecodedRule, ReturnValueRule, DiscardedResultRule, FailedWaitRule);

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
            start.RegisterOperationAction(GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeShift(operation, surfaces)), OperationKind.Binary);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, WaitStatuses.Macros, out var call)
            || SignalValues.SkipConversions(OperationFacts.Argument(invocation, 0)) is not ILocalReferenceOperation { Local: var local })
        {
            return;
        }

        var statuses = WaitStatuses.Of(invocation, surfaces);
        var isDecoder = Decoders.Contains(call);
        if (isDecoder && statuses.IsReturnValue(local))
        {
            context.ReportDiagnostic(Diagnostic.Create(ReturnValueRule, invocation.Syntax.GetLocation(), local.Name));
            return;
        }

        // Only statuses this function got from a wait: a helper that takes the status as a parameter is its callers' to check.
        if (!statuses.IsStatus(local) || FactsBefore(context, invocation, local, surfaces) is not { } facts)
        {
            return;
        }

        ReportWaitResult(context, invocation, local, facts);
        var check = isDecoder ? WaitStatuses.CheckFor[call.Function] : null;
        if (check is not null && (facts & FactOf(check)) == 0 && !UsedOnlyWhereChecked(context, invocation, local, FactOf(check), surfaces))
        {
            var properties = ImmutableDictionary<string, string?>.Empty.Add(CheckProperty, check).Add(StatusProperty, local.Name);
            context.ReportDiagnostic(Diagnostic.Create(MacroRule, invocation.Syntax.GetLocation(), properties, call.Function, check));
        }
    }

    /// <summary>
    /// <c>(status &gt;&gt; 8) &amp; 0xff</c> and <c>(status &amp; 0xff00) &gt;&gt; 8</c>: WEXITSTATUS by hand; and
    /// <c>status &amp; 0x7f</c>, a read of the status whose wait result must have been a pid.
    /// </summary>
    private static void AnalyzeShift(OperationAnalysisContext context, PosixSurfaces surfaces)
    {
        var shift = (IBinaryOperation)context.Operation;
        if (shift.OperatorKind == BinaryOperatorKind.And)
        {
            AnalyzeMask(context, shift, surfaces);
            return;
        }

        if (shift.OperatorKind != BinaryOperatorKind.RightShift
            || SignalValues.SkipConversions(shift.RightOperand)?.ConstantValue is not { HasValue: true, Value: 8 })
        {
            return;
        }

        var shifted = SignalValues.SkipConversions(shift.LeftOperand);
        IOperation decoded;
        if (shifted is ILocalReferenceOperation && MaskedBy(shift, 0xff) is { } masked)
        {
            decoded = masked;
        }
        else if (shifted is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } inner && MaskOf(inner) == 0xff00)
        {
            shifted = SignalValues.SkipConversions(ValueMaskedIn(inner));
            decoded = shift;
        }
        else
        {
            return;
        }

        if (shifted is not ILocalReferenceOperation { Local: var local })
        {
            return;
        }

        var statuses = WaitStatuses.Of(shift, surfaces);
        if (statuses.IsReturnValue(local))
        {
            context.ReportDiagnostic(Diagnostic.Create(ReturnValueRule, decoded.Syntax.GetLocation(), local.Name));
        }
        else if (statuses.IsStatus(local) && FactsBefore(context, decoded, local, surfaces) is { } facts)
        {
            ReportWaitResult(context, decoded, local, facts);
            if ((facts & StatusFacts.Exited) == 0 && !UsedOnlyWhereChecked(context, decoded, local, StatusFacts.Exited, surfaces))
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(CheckProperty, HandCheck).Add(StatusProperty, local.Name);
                context.ReportDiagnostic(Diagnostic.Create(HandDecodedRule, decoded.Syntax.GetLocation(), properties, local.Name));
            }
        }
    }

    /// <summary><c>status &amp; 0x7f</c> (any mask over the low seven bits) that is not part of a hand decoding.</summary>
    private static void AnalyzeMask(OperationAnalysisContext context, IBinaryOperation and, PosixSurfaces surfaces)
    {
        if (MaskOf(and) is not { } mask || (mask & 0x7f) != 0x7f
            || SignalValues.SkipConversions(ValueMaskedIn(and)) is not ILocalReferenceOperation { Local: var local })
        {
            return;
        }

        if (WaitStatuses.Of(and, surfaces).IsStatus(local) && FactsBefore(context, and, local, surfaces) is { } facts)
        {
            ReportWaitResult(context, and, local, facts);
        }
    }

    private static StatusFacts? FactsBefore(OperationAnalysisContext context, IOperation read, ILocalSymbol status, PosixSurfaces surfaces)
        => context.TryGetGraph() is { } graph ? WaitStatusPaths.Before(graph, read.Syntax, status, surfaces, context.CancellationToken) : null;

    /// <summary>A decoding named before the check and used only after it (see <see cref="WaitStatusPaths.UsedOnlyWhereChecked"/>).</summary>
    private static bool UsedOnlyWhereChecked(OperationAnalysisContext context, IOperation decoding, ILocalSymbol status, StatusFacts check, PosixSurfaces surfaces)
        => context.TryGetGraph() is { } graph
            && WaitStatusPaths.UsedOnlyWhereChecked(graph, decoding.Syntax, status, check, surfaces, context.CancellationToken);

    /// <summary>The status is read on a path where the wait that wrote it may have failed or found no child.</summary>
    private static void ReportWaitResult(OperationAnalysisContext context, IOperation read, ILocalSymbol status, StatusFacts facts)
    {
        if ((facts & StatusFacts.ResultKept) == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiscardedResultRule, read.Syntax.GetLocation(), status.Name));
        }
        else if ((facts & (StatusFacts.NotFailed | StatusFacts.NotEmpty)) != (StatusFacts.NotFailed | StatusFacts.NotEmpty))
        {
            var returned = (facts & StatusFacts.NotFailed) == 0 ? (facts & StatusFacts.NotEmpty) == 0 ? "-1 or 0" : "-1" : "0";
            context.ReportDiagnostic(Diagnostic.Create(FailedWaitRule, read.Syntax.GetLocation(), status.Name, returned));
        }
    }

    private static StatusFacts FactOf(string check) => check switch
    {
        "WIFEXITED" => StatusFacts.Exited,
        "WIFSIGNALED" => StatusFacts.Signaled,
        _ => StatusFacts.Stopped,
    };

    private static IOperation? MaskedBy(IOperation value, int mask)
    {
        var current = value;
        while (current.Parent is IConversionOperation or IParenthesizedOperation)
        {
            current = current.Parent;
        }

        return current.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } and && MaskOf(and) == mask ? and : null;
    }

    private static long? MaskOf(IBinaryOperation and)
        => SignalValues.SkipConversions(and.RightOperand)?.ConstantValue is { HasValue: true, Value: int right } ? right
            : SignalValues.SkipConversions(and.LeftOperand)?.ConstantValue is { HasValue: true, Value: int left } ? left
            : null;

    private static IOperation ValueMaskedIn(IBinaryOperation and)
        => SignalValues.SkipConversions(and.RightOperand)?.ConstantValue.HasValue == true ? and.LeftOperand : and.RightOperand;
}
