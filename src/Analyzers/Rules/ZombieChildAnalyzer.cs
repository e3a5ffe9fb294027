using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX1004: a child pid that nothing ever waits for, and a SIGKILLed child with no wait after the kill.</summary>
public sealed class ZombieChildAnalyzer : DiagnosticAnalyzer
{
    private const string Title = "Wait for the children you create";
    private const string Description =
        "A child that exits stays a zombie, holding its pid and its exit status, until its parent waits for it. " +
        "System.Diagnostics.Process reaps only the children it started itself, so a pid from fork, vfork, forkpty or " +
        "posix_spawn that no waitpid ever sees leaks one process-table entry per child for the life of the program. " +
        "Setting SIGCHLD to SIG_IGN is not a fix: it makes Process.WaitForExit never return true. A child killed with " +
        "SIGKILL is a zombie too until it is waited for. Wait for each pid with waitpid(pid, ...), or start children " +
        "with Process.Start or SafePosix's ChildProcess, which reap them.";

    public static readonly DiagnosticDescriptor NeverWaitedRule = new(
        RuleIds.ZombieChild,
        Title,
        "Nothing waits for the '{0}' child ({1}), so it stays a zombie; call waitpid",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ZombieChild));

    public static readonly DiagnosticDescriptor KilledNotWaitedRule = new(
        RuleIds.ZombieChild,
        Title,
        "'{0}' gets SIGKILL but is never waited for, so it stays a zombie; call waitpid after kill",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.ZombieChild));

    private const int SigKill = 9;

    private static readonly FunctionSet Functions = PosixSurfaces.Functions(
        "fork", "vfork", "forkpty", "posix_spawn", "posix_spawnp", "kill");

    private static readonly FunctionSet SpawnFunctions = PosixSurfaces.Functions("posix_spawn", "posix_spawnp");

    private static readonly FunctionSet WaitFunctions = PosixSurfaces.Functions("waitpid", "wait", "wait3", "wait4", "waitid");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(NeverWaitedRule, KilledNotWaitedRule);

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
        if (!TryGetChildCall(invocation.TargetMethod, surfaces, out var call))
        {
            return;
        }

        if (call.Function == "kill")
        {
            AnalyzeKill(context, invocation, surfaces, values);
            return;
        }

        var body = RootOf(invocation);
        string? why;
        if (SpawnFunctions.Contains(call))
        {
            why = SpawnedPidFate(invocation, body, surfaces, values);
        }
        else
        {
            why = ForkedPidFate(invocation, body, surfaces, values);
        }

        if (why is not null && !WaitsForAnyChild(body, surfaces, values))
        {
            context.ReportDiagnostic(Diagnostic.Create(NeverWaitedRule, invocation.Syntax.GetLocation(), call.Function, why));
        }
    }

    /// <summary>The calls this rule follows; a fork-like call also through the project's own wrapper (<c>static int Fork() =&gt; fork();</c>).</summary>
    private static bool TryGetChildCall(IMethodSymbol method, PosixSurfaces surfaces, out LibcCall call)
        => surfaces.TryGetLibcCall(method, Functions, out call)
            || (surfaces.TryGetCallThroughWrappers(method, ProcessCalls.BranchingForkFunctions, out call) && call.Wrapper is not null);

    /// <summary>Why nobody can wait for the pid a fork-like call returns, or null when something may.</summary>
    private static string? ForkedPidFate(IInvocationOperation fork, IOperation body, PosixSurfaces surfaces, LibcValues values)
    {
        var value = OperationFacts.OutermostConversion(fork);
        switch (value.Parent)
        {
            case IExpressionStatementOperation:
            case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                return "pid discarded";
            case ISimpleAssignmentOperation assignment when assignment.Value == value:
                return assignment.Target is ILocalReferenceOperation local && !IsReadAsValue(assignment)
                    ? LocalFate(local.Local, body, surfaces, values)
                    : null;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return LocalFate(declarator.Symbol, body, surfaces, values);
            default:
                return IsOnlyTested(value, values) ? "pid only compared" : null;
        }
    }

    /// <summary>Why nobody can wait for the pid posix_spawn writes, or null when something may.</summary>
    private static string? SpawnedPidFate(IInvocationOperation spawn, IOperation body, PosixSurfaces surfaces, LibcValues values)
    {
        if (spawn.Arguments.IsEmpty)
        {
            return null;
        }

        IArgumentOperation? pidArgument = null;
        foreach (var argument in spawn.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
            {
                pidArgument = argument;
            }
        }

        var pid = pidArgument is null ? null : OperationFacts.StripConversions(pidArgument.Value);
        switch (pid)
        {
            case IDiscardOperation:
                return "pid discarded";
            case ILocalReferenceOperation local:
                return LocalFate(local.Local, body, surfaces, values);
            case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared }:
                return LocalFate(declared.Local, body, surfaces, values);
            case IAddressOfOperation { Reference: ILocalReferenceOperation addressed }:
                return LocalFate(addressed.Local, body, surfaces, values);
            case { } other when values.IntegerValue(other, null, default) == 0:
                return "pid discarded";
            default:
                return null;
        }
    }

    /// <summary>"pid only in 'pid'" when every read of the local only compares it, formats it or kills it.</summary>
    private static string? LocalFate(ILocalSymbol local, IOperation body, PosixSurfaces surfaces, LibcValues values)
    {
        foreach (var reference in OperationTrees.LocalReferencesWithSelf(body))
        {
            if (SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && Sees(reference, surfaces, values))
            {
                return null;
            }
        }

        return "pid only in '" + local.Name + "'";
    }

    /// <summary>True when this mention of the pid hands it to something that may wait for it.</summary>
    private static bool Sees(IOperation reference, PosixSurfaces surfaces, LibcValues values)
    {
        if (reference is ILocalReferenceOperation { IsDeclaration: true })
        {
            return false;
        }

        var value = OperationFacts.OutermostConversion(reference);
        switch (value.Parent)
        {
            case ISimpleAssignmentOperation assignment when assignment.Target == value:
                return false;
            case IArgumentOperation { Parameter.RefKind: RefKind.Out } argument when argument.Value == value:
                // posix_spawn(out pid, ...) writes it.
                return false;
            case IAddressOfOperation { Parent: IArgumentOperation { Parent: IInvocationOperation spawn } }
                when surfaces.TryGetLibcCall(spawn.TargetMethod, SpawnFunctions, out _):
                return false;
            case IArgumentOperation { Parent: IInvocationOperation kill } argument
                when argument.Parameter?.Ordinal == 0 && surfaces.TryGetLibcCall(kill.TargetMethod, out var call) && call.Function == "kill":
                return false;
            case IInterpolationOperation:
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String }:
            case IInvocationOperation { TargetMethod.Name: "ToString" } toString when toString.Instance == value:
                // Formatting a pid for a log does not wait for it.
                return false;
            default:
                return !IsOnlyTested(value, values);
        }
    }

    /// <summary>The value is compared with a constant, matched against a pattern, or switched on.</summary>
    private static bool IsOnlyTested(IOperation value, LibcValues values)
    {
        switch (value.Parent)
        {
            case IBinaryOperation binary when binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
                or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual:
                var other = binary.LeftOperand == value ? binary.RightOperand : binary.LeftOperand;
                return values.IntegerValue(other, null, default) is not null;
            case IIsPatternOperation pattern when pattern.Value == value:
                return true;
            case ISwitchOperation switchStatement when switchStatement.Value == value:
                return true;
            case ISwitchExpressionOperation switchExpression when switchExpression.Value == value:
                return true;
            default:
                return false;
        }
    }

    /// <summary><c>if ((pid = fork()) == 0)</c>: the assignment's own value is a use of the result.</summary>
    private static bool IsReadAsValue(ISimpleAssignmentOperation assignment)
        => assignment.Parent is not (IExpressionStatementOperation or IVariableInitializerOperation or null) && !IsOnlyTestedShape(assignment);

    private static bool IsOnlyTestedShape(IOperation assignment)
        => assignment.Parent is IBinaryOperation or IIsPatternOperation or ISwitchOperation;

    /// <summary>wait(), waitpid(-1 or 0, ...), waitid(P_ALL, ...): any of them may reap this child too.</summary>
    private static bool WaitsForAnyChild(IOperation body, PosixSurfaces surfaces, LibcValues values)
    {
        foreach (var (invocation, call) in OperationTrees.LibcCallsWithSelf(body, surfaces))
        {
            if (!WaitFunctions.Contains(call))
            {
                continue;
            }

            if (call.Function != "waitpid" && call.Function != "wait4")
            {
                return true;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Ordinal == 0 && values.IntegerValue(argument.Value, null, default) is { } pid && pid <= 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    // ---- kill(pid, SIGKILL) with no wait after it ---------------------------------------------------------------

    private static void AnalyzeKill(OperationAnalysisContext context, IInvocationOperation kill, PosixSurfaces surfaces, LibcValues values)
    {
        IOperation? pidValue = null;
        IOperation? signalValue = null;
        foreach (var argument in kill.Arguments)
        {
            switch (argument.Parameter?.Ordinal)
            {
                case 0:
                    pidValue = OperationFacts.StripConversions(argument.Value);
                    break;
                case 1:
                    signalValue = argument.Value;
                    break;
            }
        }

        if (signalValue is null || SignalNumber(signalValue, surfaces, values) != SigKill)
        {
            return;
        }

        var body = RootOf(kill);
        ISymbol holder;
        switch (pidValue)
        {
            case ILocalReferenceOperation { Local: var local }:
                // A pid nothing ever waits for is reported once, at the call that created it.
                if (!HoldsChildPid(local, body, surfaces) || LocalFate(local, body, surfaces, values) is not null)
                {
                    return;
                }

                holder = local;
                break;
            case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation, Field: var field }:
                // The child was started in another method (or by native code) and its pid kept in the object.
                holder = field;
                break;
            case IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Arguments.IsEmpty: true, Property: var property }
                when surfaces.BindingSurfaceOf(property.ContainingType) is null:
                holder = property;
                break;
            default:
                return;
        }

        if (WaitsForAnyChild(body, surfaces, values) || (holder is not ILocalSymbol && TypeWaitsFor(holder, context.ContainingSymbol.ContainingType, surfaces, context.CancellationToken)))
        {
            return;
        }

        // Someone else's pid (read from a file, a parameter) may be waited for elsewhere; ours is this method's to reap.
        if (context.TryGetGraph() is not { } graph || ControlFlowGraphs.Find(graph, kill.Syntax, context.CancellationToken) is not { } position)
        {
            return;
        }

        var after = CheckedBeforeUse.Analyze(position, holder, reference => Sees(reference, surfaces, values) ? ValueUse.Check : ValueUse.Neutral);
        if (!after.AnyCheck)
        {
            context.ReportDiagnostic(Diagnostic.Create(KilledNotWaitedRule, kill.Syntax.GetLocation(), holder.Name));
        }
    }

    /// <summary>
    /// A pid kept in a field or property may be reaped by another member of its type (Dispose, a SIGCHLD handler):
    /// true when any member passes it to a wait call, in the type that kills or in a base type up to the one that
    /// declares the pid (a base class's <c>Id</c>, killed and waited for by the derived class that runs the child).
    /// </summary>
    private static bool TypeWaitsFor(ISymbol holder, INamedTypeSymbol? killingType, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        var declaringType = holder.ContainingType.OriginalDefinition;
        for (var type = killingType?.OriginalDefinition; type is not null; type = type.BaseType?.OriginalDefinition)
        {
            if (SymbolEqualityComparer.Default.Equals(type, declaringType))
            {
                break;
            }

            if (DeclarationsWaitFor(type, holder, surfaces, cancellationToken))
            {
                return true;
            }
        }

        return DeclarationsWaitFor(declaringType, holder, surfaces, cancellationToken);
    }

    private static bool DeclarationsWaitFor(INamedTypeSymbol type, ISymbol holder, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(cancellationToken);
            // A part in another project's compilation cannot be read here, as a library's type cannot.
            if (surfaces.Summaries.ModelOf(declaration.SyntaxTree) is not { } model)
            {
                continue;
            }

            foreach (var call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (call.ArgumentList.Arguments.Count == 0
                    || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol method
                    || !surfaces.TryGetLibcCall(method, WaitFunctions, out _))
                {
                    continue;
                }

                foreach (var argument in call.ArgumentList.Arguments)
                {
                    foreach (var name in argument.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    {
                        if (name.Identifier.ValueText == holder.Name
                            // A generic base's own code names Execution<T>.Pid; the derived class's kill, Execution<string>.Pid.
                            && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition, holder.OriginalDefinition))
                        {
                            return true;
                        }
                    }
                }
            }
        }

        return false;
    }

    private static long? SignalNumber(IOperation signal, PosixSurfaces surfaces, LibcValues values)
    {
        if (values.IntegerValue(signal, null, default) is { } known)
        {
            return known;
        }

        // Tmds.LibC spells constants as properties: LibC.SIGKILL.
        var operation = OperationFacts.StripConversions(signal);
        return operation is IPropertyReferenceOperation { Instance: null, Property.Name: "SIGKILL" } property
            && surfaces.BindingSurfaceOf(property.Property.ContainingType) is not null
            ? SigKill
            : null;
    }

    /// <summary>True when the local receives a pid from fork, vfork, forkpty or posix_spawn in this body.</summary>
    private static bool HoldsChildPid(ILocalSymbol local, IOperation body, PosixSurfaces surfaces)
    {
        foreach (var invocation in OperationTrees.InvocationsWithSelf(body))
        {
            if (!TryGetChildCall(invocation.TargetMethod, surfaces, out var call) || call.Function == "kill")
            {
                continue;
            }

            if (SpawnFunctions.Contains(call))
            {
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter?.Ordinal == 0 && OperationFacts.StripConversions(argument.Value) switch
                    {
                        ILocalReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Local, local),
                        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => SymbolEqualityComparer.Default.Equals(declared.Local, local),
                        IAddressOfOperation { Reference: ILocalReferenceOperation addressed } => SymbolEqualityComparer.Default.Equals(addressed.Local, local),
                        _ => false,
                    })
                    {
                        return true;
                    }
                }
            }
            else if (OperationFacts.OutermostConversion(invocation).Parent switch
            {
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => SymbolEqualityComparer.Default.Equals(target.Local, local),
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => SymbolEqualityComparer.Default.Equals(declarator.Symbol, local),
                _ => false,
            })
            {
                return true;
            }
        }

        return false;
    }

    private static IOperation RootOf(IOperation operation)
    {
        while (operation.Parent is { } parent)
        {
            operation = parent;
        }

        return operation;
    }
}
