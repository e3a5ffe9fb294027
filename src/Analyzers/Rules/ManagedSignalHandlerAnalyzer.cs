using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2009: managed code installed as a raw signal handler.</summary>
public sealed class ManagedSignalHandlerAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.ManagedSignalHandler,
        "Do not install managed code as a raw signal handler",
        "'{0}' installs managed code as a signal handler, which must be async-signal-safe; use PosixSignalRegistration",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "A signal handler interrupts a thread anywhere: inside malloc, inside the GC, holding a runtime lock. POSIX " +
            "allows only async-signal-safe functions there. Managed code is not: it may allocate, take locks, run the JIT " +
            "or trigger a GC, and the runtime does not expect to be re-entered on an arbitrary thread. A delegate or an " +
            "[UnmanagedCallersOnly] method installed with signal or sigaction (or Mono's obsolete Stdlib.signal) can " +
            "deadlock or corrupt the process when the signal arrives at the wrong moment. The runtime's own handler forwards " +
            "signals to managed code safely, on a normal thread: use PosixSignalRegistration.Create (keep the registration " +
            "alive), or Mono's UnixSignal.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.ManagedSignalHandler));

    private static readonly FunctionSet Functions = PosixSurfaces.Functions("signal", "sigset", "bsd_signal", "sigaction");

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

            var marshal = surfaces.MarshalType;
            start.RegisterOperationAction(LibcCallAction.Create(surfaces, GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces, marshal))), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces, INamedTypeSymbol? marshal)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, Functions, out var call))
        {
            return;
        }

        foreach (var handler in SignalDispositions.HandlersOf(invocation, call.Function))
        {
            if (IsManagedCode(handler, marshal, depth: 0))
            {
                context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), call.Function));
                return;
            }
        }
    }

    /// <summary>
    /// A lambda or method group, a delegate-typed value, a function pointer to a method, a pointer from
    /// Marshal.GetFunctionPointerForDelegate, or a local that only ever holds one of those.
    /// </summary>
    private static bool IsManagedCode(IOperation value, INamedTypeSymbol? marshal, int depth)
    {
        var operation = SignalValues.SkipConversions(value);
        switch (operation)
        {
            case null:
                return false;
            case IDelegateCreationOperation or IMethodReferenceOperation or IAddressOfOperation { Reference: IMethodReferenceOperation }:
                return true;
            case IInvocationOperation { TargetMethod: { Name: "GetFunctionPointerForDelegate" } method }
                when marshal is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, marshal):
                return true;
            case ILocalReferenceOperation local when depth < 2:
                return OnlyHoldsManagedCode(local, marshal, depth);
        }

        // signal(int, SomeDelegate) given a readonly delegate field: the usual way to keep a managed handler alive.
        // A writable field or a parameter may hold a previous handler being restored (Mono's Stdlib.signal returns
        // one), and Mono's Stdlib.SIG_DFL/SIG_IGN/SIG_ERR are delegate fields standing for the sentinels: silent.
        return operation is IFieldReferenceOperation { Field: { IsReadOnly: true, Type.TypeKind: TypeKind.Delegate } field }
            && !field.Name.StartsWith("SIG_", System.StringComparison.Ordinal);
    }

    private static bool OnlyHoldsManagedCode(ILocalReferenceOperation reference, INamedTypeSymbol? marshal, int depth)
    {
        var root = (IOperation)reference;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        var any = false;
        foreach (var operation in OperationTrees.Under(root, OperationKinds.DeclarationsAndAssignments))
        {
            IOperation? assigned = operation switch
            {
                IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local) => declarator.Initializer?.Value,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, reference.Local) => assignment.Value,
                _ => null,
            };
            if (assigned is null)
            {
                continue;
            }

            if (!IsManagedCode(assigned, marshal, depth + 1))
            {
                return false;
            }

            any = true;
        }

        return any;
    }
}
