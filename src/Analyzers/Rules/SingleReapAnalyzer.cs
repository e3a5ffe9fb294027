using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2001: a reaper that waits once where several children may have exited.</summary>
public sealed class SingleReapAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";

    private const string Title = "Reap children in a loop until the wait returns 0 or -1";
    private const string Description =
        "Signals of one kind do not queue: when several children exit before the SIGCHLD handler runs, it runs once " +
        "(measured on .NET 10: 16 children killed together, 1 handler run, 16 zombies). A reaper that calls waitpid(-1, ...) " +
        "or wait once per wake-up, or once after starting several children, leaves the others as zombies holding their " +
        "pids. Wait in a loop that repeats while the call returns a pid, stops on 0 (WNOHANG: nobody else has exited) or " +
        "-1 (ECHILD: no children left), and retries on EINTR.";

    public static readonly DiagnosticDescriptor InHandlerRule = new(
        RuleIds.SingleReap,
        Title,
        "'{0}' reaps one child per signal, but SIGCHLDs coalesce and the rest stay zombies; loop until it returns 0 or -1",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.SingleReap));

    public static readonly DiagnosticDescriptor NonBlockingRule = new(
        RuleIds.SingleReap,
        Title,
        "'{0}' with WNOHANG reaps at most one of the exited children; loop until it returns 0 or -1",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.SingleReap));

    public static readonly DiagnosticDescriptor AfterLoopRule = new(
        RuleIds.SingleReap,
        Title,
        "'{0}' reaps one child after a loop that started several; loop until it returns -1 so none stays a zombie",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.SingleReap));

    private static readonly FunctionSet SignalFunctions = PosixSurfaces.Functions("signal", "sigset", "bsd_signal");

    /// <summary>The any-child waits that can stand for many children (waitid reports one child per call too, but returns 0, not a pid).</summary>
    private static readonly FunctionSet ReapFunctions = PosixSurfaces.Functions("wait", "waitpid", "wait3", "wait4");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(InHandlerRule, NonBlockingRule, AfterLoopRule);

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

            var symbols = new Symbols(
                start.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.PosixSignalRegistration"),
                start.Compilation.GetTypeByMetadataName("Mono.Unix.UnixSignal"));

            // A handler is often a method of the same class registered elsewhere in it: decide at the end of the type.
            start.RegisterSymbolStartAction(typeStart =>
            {
                var handlers = new ConcurrentDictionary<ISymbol, bool>(SymbolEqualityComparer.Default);
                var pending = new ConcurrentBag<(ISymbol Function, Diagnostic Diagnostic)>();
                typeStart.RegisterOperationAction(
                    GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces, symbols, handlers, pending)),
                    OperationKind.Invocation);
                typeStart.RegisterSymbolEndAction(end =>
                {
                    foreach (var (function, diagnostic) in pending)
                    {
                        if (handlers.ContainsKey(function))
                        {
                            end.ReportDiagnostic(diagnostic);
                        }
                    }
                });
            }, SymbolKind.NamedType);
        });
    }

    private sealed class Symbols
    {
        public Symbols(INamedTypeSymbol? registration, INamedTypeSymbol? unixSignal)
        {
            Registration = registration;
            UnixSignal = unixSignal;
        }

        public INamedTypeSymbol? Registration { get; }

        public INamedTypeSymbol? UnixSignal { get; }
    }

    private static void AnalyzeInvocation(
        OperationAnalysisContext context, PosixSurfaces surfaces, Symbols symbols,
        ConcurrentDictionary<ISymbol, bool> handlers, ConcurrentBag<(ISymbol, Diagnostic)> pending)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.Name == "Create" && symbols.Registration is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Registration))
        {
            RememberHandler(invocation, surfaces, handlers, context);
            return;
        }

        if (!surfaces.TryGetLibcCall(method, out var call))
        {
            return;
        }

        if (SignalFunctions.Contains(call))
        {
            RememberHandler(invocation, surfaces, handlers, context);
            return;
        }

        if (!ReapFunctions.Contains(call)
            || WaitCalls.AnyChildTarget(invocation, call.Function, surfaces, context.CancellationToken) is null)
        {
            return;
        }

        var loops = ReapLoops.LoopsAround(invocation, surfaces, symbols.UnixSignal);
        if (loops == LoopContext.Loop)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, call.Surface.ToString());
        var location = invocation.Syntax.GetLocation();
        var function = ReapLoops.EnclosingFunction(invocation);
        if (loops == LoopContext.SignalLoop || (function is IAnonymousFunctionOperation lambda && IsSigchldHandler(lambda, surfaces, symbols, context)))
        {
            context.ReportDiagnostic(Diagnostic.Create(InHandlerRule, location, properties, call.Function));
            return;
        }

        if (WaitCalls.IsNonBlocking(invocation, call.Function, surfaces, context.CancellationToken))
        {
            context.ReportDiagnostic(Diagnostic.Create(NonBlockingRule, location, properties, call.Function));
            return;
        }

        var root = function ?? RootOf(invocation);
        if (ReapLoops.FollowsALoopThatCreatesChildren(invocation, root, surfaces))
        {
            context.ReportDiagnostic(Diagnostic.Create(AfterLoopRule, location, properties, call.Function));
            return;
        }

        // A blocking wait in a method or local function registered as a SIGCHLD handler somewhere in this type.
        ISymbol? handlerCandidate = function is ILocalFunctionOperation local ? local.Symbol : context.ContainingSymbol as IMethodSymbol;
        if (handlerCandidate is not null && function is not IAnonymousFunctionOperation)
        {
            pending.Add((handlerCandidate, Diagnostic.Create(InHandlerRule, location, properties, call.Function)));
        }
    }

    /// <summary>Records the method or local function a SIGCHLD registration installs.</summary>
    private static void RememberHandler(IInvocationOperation registration, PosixSurfaces surfaces, ConcurrentDictionary<ISymbol, bool> handlers, OperationAnalysisContext context)
    {
        if (!IsSigchld(OperationFacts.Argument(registration, 0), surfaces, context)
            || SignalValues.SkipConversions(OperationFacts.Argument(registration, 1)) is not IDelegateCreationOperation { Target: IMethodReferenceOperation reference })
        {
            return;
        }

        handlers.TryAdd(reference.Method.OriginalDefinition, true);
    }

    /// <summary>A lambda passed directly as the handler of a SIGCHLD registration.</summary>
    private static bool IsSigchldHandler(IAnonymousFunctionOperation lambda, PosixSurfaces surfaces, Symbols symbols, OperationAnalysisContext context)
    {
        IOperation current = lambda;
        while (current.Parent is IDelegateCreationOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        if (current.Parent is not IArgumentOperation { Parent: IInvocationOperation registration })
        {
            return false;
        }

        var method = registration.TargetMethod;
        var registers = (method.Name == "Create" && symbols.Registration is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Registration))
            || (surfaces.TryGetLibcCall(method, SignalFunctions, out _));
        return registers && IsSigchld(OperationFacts.Argument(registration, 0), surfaces, context);
    }

    /// <summary>SIGCHLD as a raw number (17), a binding constant, Mono's Signum.SIGCHLD, or PosixSignal.SIGCHLD (-5).</summary>
    private static bool IsSigchld(IOperation? signal, PosixSurfaces surfaces, OperationAnalysisContext context)
        => SignalValues.IntegerValue(signal, surfaces, context.CancellationToken) is SignalValues.SIGCHLD or SignalValues.PosixSignalSigchld;

    private static IOperation RootOf(IOperation operation)
    {
        while (operation.Parent is { } parent)
        {
            operation = parent;
        }

        return operation;
    }
}
