using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX1003: a fork child that leaves by exit, Environment.Exit, throw, return or by falling out of its branch.</summary>
public sealed class ForkChildExitAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";
    public const string ExitKindProperty = "ExitKind";

    /// <summary>Set when one <c>_exit(127)</c> inserted after the reported statement closes every path that falls out there.</summary>
    public const string InsertAfterProperty = "InsertAfter";

    /// <summary>
    /// Set when the exit's status is kept by the fix (<c>Environment.Exit(code)</c>, <c>exit(code)</c>): the status
    /// expression is then the third additional location. The first is the fork-like call, the second (when the fix
    /// has one) the statement the fix replaces or inserts next to.
    /// </summary>
    public const string KeptStatusProperty = "KeptStatus";

    /// <summary>Set (to the helper's name) when the child leaves inside a helper of the project's own: no automatic fix, the helper must change.</summary>
    public const string HelperProperty = "Helper";

    private const string Title = "End a fork child with _exit";
    private const string Description =
        "After fork the child must end with _exit (or _Exit): exec returns only when it fails, and everything else " +
        "runs the parent's code in a process that fork left with a single thread. exit and Environment.Exit run " +
        "ProcessExit handlers, finalizers and atexit handlers and flush stdio buffers a second time; a throw runs the " +
        "parent's catch and finally blocks; a return or a fall-out out of the child branch makes a second copy of the " +
        "program that goes on with the parent's work.";

    public static readonly DiagnosticDescriptor UnsafeExitRule = new(
        RuleIds.ForkChildExit,
        Title,
        "The '{0}' child ends with '{1}', which runs the parent's exit handlers; end the child with _exit",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkChildExit));

    public static readonly DiagnosticDescriptor ReturnRule = new(
        RuleIds.ForkChildExit,
        Title,
        "The '{0}' child returns and runs on as a copy of the parent; end the child with _exit(127)",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkChildExit));

    public static readonly DiagnosticDescriptor ThrowRule = new(
        RuleIds.ForkChildExit,
        Title,
        "The '{0}' child throws into the parent's handlers; end the child with _exit(127)",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkChildExit));

    public static readonly DiagnosticDescriptor FallOutRule = new(
        RuleIds.ForkChildExit,
        Title,
        "The '{0}' child runs on into the parent's code (exec returns only on failure); end the child with _exit(127)",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkChildExit));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(UnsafeExitRule, ReturnRule, ThrowRule, FallOutRule);

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
        if (!calls.Surfaces.TryGetCallThroughWrappers(invocation.TargetMethod, ProcessCalls.BranchingForkFunctions, out var call)
            || calls.AnalyzeChild(context, invocation) is not { } child)
        {
            return;
        }

        var forkLocation = invocation.Syntax.GetLocation();
        foreach (var exit in child.Exits)
        {
            if (!exit.InChildBranch)
            {
                continue;
            }

            // A call into the user's own void helper that could not be summarized may end the child itself: stay silent after it.
            if (exit.Kind is ChildExitKind.Return or ChildExitKind.Throw or ChildExitKind.FallOut && calls.MayNotReturn(exit.LastOperation))
            {
                continue;
            }

            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(SurfaceProperty, call.Surface.ToString())
                .Add(ExitKindProperty, exit.Kind.ToString());
            if (exit.Kind == ChildExitKind.FallOut && exit.SingleSource)
            {
                properties = properties.Add(InsertAfterProperty, "true");
            }

            if (exit.Kind is ChildExitKind.UnsafeExit or ChildExitKind.Throw && exit.Operation is IInvocationOperation helper
                && !calls.IsEnvironmentExit(helper.TargetMethod) && !calls.Surfaces.TryGetLibcCall(helper.TargetMethod, out _))
            {
                properties = properties.Add(HelperProperty, helper.TargetMethod.Name);
            }

            var additional = new List<Location> { forkLocation };
            if (!properties.ContainsKey(HelperProperty) && AnchorOf(exit) is { } anchor)
            {
                additional.Add(anchor);
                if (KeptStatusOf(exit) is { } status)
                {
                    additional.Add(status.Syntax.GetLocation());
                    properties = properties.Add(KeptStatusProperty, "true");
                }
            }

            var diagnostic = exit.Kind switch
            {
                ChildExitKind.UnsafeExit when exit.Operation is IInvocationOperation exitCall
                    => Diagnostic.Create(UnsafeExitRule, exit.Location, additional, properties, call.Function, ExitName(exitCall, calls)),
                ChildExitKind.Return => Diagnostic.Create(ReturnRule, exit.Location, additional, properties, call.Function),
                ChildExitKind.Throw => Diagnostic.Create(ThrowRule, exit.Location, additional, properties, call.Function),
                ChildExitKind.FallOut => Diagnostic.Create(FallOutRule, exit.Location, additional, properties, call.Function),
                _ => null,
            };
            if (diagnostic is not null)
            {
                context.ReportDiagnostic(diagnostic);
            }
        }
    }

    /// <summary>The statement the fix edits: the exit call's statement, the return or throw statement, the last statement before a fall-out.</summary>
    private static Location? AnchorOf(ChildExit exit) => exit.Kind switch
    {
        ChildExitKind.UnsafeExit => exit.Operation?.Parent is IExpressionStatementOperation statement ? statement.Syntax.GetLocation() : null,
        ChildExitKind.Return => exit.Location,
        // A throw statement (the graph keeps only the thrown value); a throw expression has no statement of its own.
        ChildExitKind.Throw => exit.Operation?.Syntax.Parent is ThrowStatementSyntax thrown ? thrown.GetLocation() : null,
        ChildExitKind.FallOut when exit.SingleSource => exit.Location,
        _ => null,
    };

    /// <summary>The status an exit call passes (<c>Environment.Exit(code)</c>): the parent may read it, so the fix keeps it.</summary>
    private static IOperation? KeptStatusOf(ChildExit exit)
        => exit.Kind == ChildExitKind.UnsafeExit && exit.Operation is IInvocationOperation { Arguments.Length: 1 } call
            && call.Arguments[0].Value.Type?.SpecialType == SpecialType.System_Int32
            ? call.Arguments[0].Value
            : null;

    private static string ExitName(IInvocationOperation exitCall, ProcessCalls calls)
    {
        var method = exitCall.TargetMethod;
        if (calls.IsEnvironmentExit(method))
        {
            return "Environment." + method.Name;
        }

        return calls.Surfaces.BindingSurfaceOf(method.ContainingType) is not null ? method.ContainingType.Name + "." + method.Name : method.Name;
    }
}
