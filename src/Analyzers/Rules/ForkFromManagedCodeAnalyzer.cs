using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX1001: fork, vfork, forkpty, clone and daemon called from a .NET process, which is multithreaded before Main.</summary>
public sealed class ForkFromManagedCodeAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";

    /// <summary>Set when the child is exactly one exec call then _exit: the shape the fix can turn into Process.Start.</summary>
    public const string ExecThenExitProperty = "ExecThenExit";

    // With ExecThenExitProperty, the diagnostic's first additional location is the condition that is true exactly in
    // the child (pid == 0), as ChildBranch found it: the fixer rewrites that if statement.


    private const string Title = "Do not fork the .NET runtime";
    private const string Description =
        "Every .NET process runs several threads before Main (finalizer, tiered compilation, signal handling, " +
        "diagnostics). After fork only the calling thread exists in the child, so until exec the child may only make " +
        "async-signal-safe calls. Managed code, allocation, string marshalling, exceptions or JIT in the child can " +
        "deadlock on a lock another thread held, and since .NET 7 executable memory is mapped twice through a shared " +
        "memfd (W^X), so code the child writes lands in the parent's code: the parent crashes. vfork also shares the " +
        "parent's stack. daemon() forks and keeps running the program in the child without the runtime's threads " +
        "(GC, finalizer, JIT): run in the foreground under a service manager (systemd Type=simple) instead. clone() " +
        "runs its function without them too. Start programs with System.Diagnostics.Process or posix_spawn.";

    public static readonly DiagnosticDescriptor ChildWorkRule = new(
        RuleIds.ForkFromManagedCode,
        Title,
        "'{0}' from managed code: the child {1}; use Process.Start or posix_spawn",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkFromManagedCode));

    public static readonly DiagnosticDescriptor ForkRule = new(
        RuleIds.ForkFromManagedCode,
        Title,
        "'{0}' is unsafe in a multithreaded .NET process; start the program with Process.Start or posix_spawn",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkFromManagedCode));

    public static readonly DiagnosticDescriptor DaemonRule = new(
        RuleIds.ForkFromManagedCode,
        Title,
        "'daemon' runs on in a child without the runtime's threads; run in the foreground under a service manager",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkFromManagedCode));

    public static readonly DiagnosticDescriptor CloneRule = new(
        RuleIds.ForkFromManagedCode,
        Title,
        "'clone' runs code without the runtime's threads; use Process.Start for a process, Thread for a thread",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ForkFromManagedCode));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(ChildWorkRule, ForkRule, DaemonRule, CloneRule);

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
        if (!calls.Surfaces.TryGetCallThroughWrappers(invocation.TargetMethod, ProcessCalls.ForkFunctions, out var call)
            || IsInsideOwnWrapper(context, call, calls.Surfaces))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, call.Surface.ToString());
        var location = invocation.Syntax.GetLocation();
        switch (call.Function)
        {
            case "daemon":
                context.ReportDiagnostic(Diagnostic.Create(DaemonRule, location, properties));
                return;
            case "clone":
                context.ReportDiagnostic(Diagnostic.Create(CloneRule, location, properties));
                return;
        }

        var child = calls.AnalyzeChild(context, invocation);
        var work = child is null ? null : DescribeChild(child, calls);
        var additional = new List<Location>();
        if (child is not null && IsExecThenExit(child, calls) && child.ChildTest() is { } childTest)
        {
            properties = properties.Add(ExecThenExitProperty, "true");
            additional.Add(childTest.Syntax.GetLocation());
        }

        context.ReportDiagnostic(work is null
            ? Diagnostic.Create(ForkRule, location, additional, properties, call.Function)
            : Diagnostic.Create(ChildWorkRule, location, additional, properties, call.Function, work));
    }

    /// <summary>
    /// <c>static int Fork() =&gt; fork();</c>: the wrapper's own call is reported where the wrapper is called, where
    /// the child's work is.
    /// </summary>
    private static bool IsInsideOwnWrapper(OperationAnalysisContext context, LibcCall call, PosixSurfaces surfaces)
        => context.ContainingSymbol is IMethodSymbol containing
            && surfaces.Summaries.TryGetPassThrough(containing, out var wrapped, context.CancellationToken)
            && wrapped.Function == call.Function;

    private static bool IsExecThenExit(ChildBranch child, ProcessCalls calls)
    {
        if (child.Exits.Length != 1 || child.Exits[0] is not { Kind: ChildExitKind.SafeExit, InChildBranch: true })
        {
            return false;
        }

        var inBranch = new List<IOperation>();
        foreach (var operation in child.Operations)
        {
            if (operation.InChildBranch)
            {
                inBranch.Add(operation.Operation);
            }
            else if (ChildWork.Find(operation.Operation, calls).Count > 0)
            {
                return false;
            }
        }

        return inBranch.Count == 2
            && inBranch[0] is IExpressionStatementOperation { Operation: IInvocationOperation exec } && calls.Classify(exec) == ChildCallKind.Exec
            && inBranch[1] is IExpressionStatementOperation { Operation: IInvocationOperation exit } && calls.Classify(exit) == ChildCallKind.SafeExit;
    }

    /// <summary>
    /// The worst thing the child does, short enough for a one-line message: "calls 'Console.WriteLine'",
    /// "allocates 'string[]'", "marshals strings for 'execv'", "throws", "returns to the caller".
    /// </summary>
    private static string? DescribeChild(ChildBranch child, ProcessCalls calls)
    {
        var firsts = new Dictionary<ChildWorkKind, string>();
        foreach (var operation in child.Operations)
        {
            foreach (var item in ChildWork.Find(operation.Operation, calls))
            {
                if (item.Kind == ChildWorkKind.ManagedCall)
                {
                    // The first managed call is the worst thing said, whatever follows: stop looking.
                    return "calls '" + item.Name + "'";
                }

                if (!firsts.ContainsKey(item.Kind))
                {
                    firsts[item.Kind] = item.Name;
                }
            }
        }

        var facts = new List<string>();
        if (firsts.TryGetValue(ChildWorkKind.ManagedCall, out var method))
        {
            facts.Add("calls '" + method + "'");
        }

        if (firsts.TryGetValue(ChildWorkKind.Allocation, out var type))
        {
            facts.Add("allocates '" + type + "'");
        }

        if (firsts.TryGetValue(ChildWorkKind.Marshalling, out var function))
        {
            facts.Add("marshals strings for '" + function + "'");
        }

        var exits = new HashSet<ChildExitKind>();
        foreach (var exit in child.Exits)
        {
            if (!exits.Add(exit.Kind))
            {
                continue;
            }

            switch (exit.Kind)
            {
                case ChildExitKind.Throw:
                    facts.Add("throws");
                    break;
                case ChildExitKind.Return when exit.InChildBranch:
                    facts.Add("returns to the caller");
                    break;
                case ChildExitKind.FallOut when !calls.MayNotReturn(exit.LastOperation):
                    facts.Add("runs on into the parent's code");
                    break;
            }
        }

        return facts.Count == 0 ? null : facts[0];
    }
}
