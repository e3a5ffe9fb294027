using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX1002: anything but exec* and _exit in a vfork child, which runs on the suspended parent's stack.</summary>
public sealed class VforkChildAnalyzer : DiagnosticAnalyzer
{
    private const string Title = "Do nothing but exec and _exit in a vfork child";
    private const string Description =
        "vfork suspends the parent and runs the child on the parent's stack and memory until the child calls exec or " +
        "_exit. Every write, call, return or exception in the child changes the parent's state: a managed call can " +
        "JIT, allocate or take a lock, an assignment overwrites the parent's variables, and a return or a throw " +
        "unwinds the parent's frames, so the parent resumes in a corrupted frame (observed: it continues with " +
        "pid == 0 and aborts). Use posix_spawn, Process.Start or SafePosix's ChildProcess instead.";

    private const string Instead = "call only exec* and _exit there";

    public static readonly DiagnosticDescriptor CallRule = new(
        RuleIds.VforkChildWork,
        Title,
        "The vfork child calls '{0}' on the parent's stack; " + Instead,
        RuleCategories.Reliability,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.VforkChildWork));

    public static readonly DiagnosticDescriptor AllocationRule = new(
        RuleIds.VforkChildWork,
        Title,
        "The vfork child allocates '{0}' on the parent's heap; " + Instead,
        RuleCategories.Reliability,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.VforkChildWork));

    public static readonly DiagnosticDescriptor AssignmentRule = new(
        RuleIds.VforkChildWork,
        Title,
        "The vfork child writes '{0}' into the parent's memory; " + Instead,
        RuleCategories.Reliability,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.VforkChildWork));

    public static readonly DiagnosticDescriptor ReturnRule = new(
        RuleIds.VforkChildWork,
        Title,
        "The vfork child returns into the suspended parent's frame; end the child with _exit, or use posix_spawn",
        RuleCategories.Reliability,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.VforkChildWork));

    public static readonly DiagnosticDescriptor ThrowRule = new(
        RuleIds.VforkChildWork,
        Title,
        "The vfork child throws through the suspended parent's frames; end the child with _exit, or use posix_spawn",
        RuleCategories.Reliability,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.VforkChildWork));

    public static readonly DiagnosticDescriptor FallOutRule = new(
        RuleIds.VforkChildWork,
        Title,
        "The vfork child runs on into the parent's code; end it with _exit(127) after exec, or use posix_spawn",
        RuleCategories.Reliability,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.VforkChildWork));

    private static readonly FunctionSet VforkFunctions = PosixSurfaces.Functions("vfork");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(CallRule, AllocationRule, AssignmentRule, ReturnRule, ThrowRule, FallOutRule);

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

            var calls = surfaces.Processes;
            start.RegisterOperationAction(LibcCallAction.Create(calls.Surfaces, GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, calls))), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, ProcessCalls calls)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!calls.Surfaces.TryGetLibcCall(invocation.TargetMethod, VforkFunctions, out _)
            || calls.AnalyzeChild(context, invocation) is not { } child)
        {
            return;
        }

        var reported = new HashSet<TextSpan>();
        foreach (var operation in child.Operations)
        {
            foreach (var item in ChildWork.Find(operation.Operation, calls))
            {
                if (!item.Outermost || !reported.Add(item.Operation.Syntax.Span))
                {
                    continue;
                }

                var rule = item.Kind switch
                {
                    ChildWorkKind.Allocation => AllocationRule,
                    ChildWorkKind.Assignment => AssignmentRule,
                    ChildWorkKind.ManagedCall or ChildWorkKind.LibcCall => CallRule,
                    _ => null,
                };
                if (rule is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(rule, item.Operation.Syntax.GetLocation(), item.Name));
                }
            }
        }

        foreach (var exit in child.Exits)
        {
            var rule = exit.Kind switch
            {
                ChildExitKind.Return => ReturnRule,
                ChildExitKind.Throw => ThrowRule,
                ChildExitKind.FallOut when !calls.MayNotReturn(exit.LastOperation) => FallOutRule,
                _ => null,
            };
            if (rule is not null && reported.Add(exit.Location.SourceSpan))
            {
                context.ReportDiagnostic(Diagnostic.Create(rule, exit.Location));
            }
        }
    }
}
