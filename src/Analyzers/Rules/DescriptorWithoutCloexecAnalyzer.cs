using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX4002: descriptors created without close-on-exec leak into every child the process starts.</summary>
public sealed class DescriptorWithoutCloexecAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";
    public const string FunctionProperty = "Function";

    /// <summary>The ordinal of the C# parameter that holds the flags; absent when the fix must change the call instead.</summary>
    public const string FlagParameterProperty = "FlagParameter";

    /// <summary>
    /// Present when the call goes through the project's wrapper: the wrapper's name. The diagnostic then points at the
    /// caller's flags argument, its additional location is the wrapper call, and <see cref="FlagParameterProperty"/>
    /// is the wrapper's parameter.
    /// </summary>
    public const string WrapperProperty = "Wrapper";

    /// <summary>
    /// Set on an F_SETFL diagnostic whose only flag is FD_CLOEXEC (<c>fcntl(fd, F_SETFL, FD_CLOEXEC)</c>): the author
    /// meant F_SETFD, and swapping the command is the whole fix.
    /// </summary>
    public const string SetfdMeantProperty = "SetfdMeant";

    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.DescriptorWithoutCloexec,
        "Create descriptors with close-on-exec",
        "'{0}' creates a descriptor without close-on-exec that children inherit; {1}",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "A descriptor created without close-on-exec stays open in every program this process starts: Process.Start, " +
            "posix_spawn and exec all pass it on. The child then holds the file, pipe or socket open: a pipe's reader " +
            "never sees end-of-file, a listening port stays bound after the server exits, a deleted file keeps its " +
            "space, and the child can read what it was never meant to. .NET opens all of its own descriptors with " +
            "O_CLOEXEC; setting FD_CLOEXEC afterwards with fcntl races with a fork on another thread. Ask for " +
            "close-on-exec when the descriptor is created.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.DescriptorWithoutCloexec));

    public static readonly DiagnosticDescriptor SetflRule = new(
        RuleIds.DescriptorWithoutCloexec,
        "Create descriptors with close-on-exec",
        "fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "F_SETFL changes only a descriptor's status flags (O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME, O_NONBLOCK) and " +
            "silently drops the rest: close-on-exec is a descriptor flag, set with F_SETFD and FD_CLOEXEC. The descriptor " +
            "stays open in every program this process starts. Better still, ask for close-on-exec when it is created.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.DescriptorWithoutCloexec));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule, SetflRule);

    private static readonly FunctionSet FcntlFunction = PosixSurfaces.Functions("fcntl");

    /// <summary>F_SETFL on Linux (and the BSDs).</summary>
    private const long FSetfl = 4;

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
        if (surfaces.TryGetLibcCall(invocation.TargetMethod, FcntlFunction, out var fcntl))
        {
            AnalyzeSetfl(context, surfaces, invocation, fcntl.Surface);
            return;
        }

        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, CloexecFunctions.Names, out var call))
        {
            AnalyzeWrapperCall(context, surfaces, invocation);
            return;
        }

        if (!CloexecFunctions.ByName.TryGetValue(call.Function, out var function))
        {
            return;
        }

        // A binding's own overload passing the call on to another overload of the same function (Mono.Posix's
        // Syscall.pipe(int[]) calls pipe(out int, out int)): the descriptor is its caller's, and so is the finding.
        if (context.ContainingSymbol is IMethodSymbol caller && surfaces.TryGetLibcCall(caller, out var outer)
            && outer.Function == call.Function)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(SurfaceProperty, call.Surface.ToString())
            .Add(FunctionProperty, call.Function);

        var flagArgument = FlagArgument(invocation, function, call.Surface);
        if (flagArgument is not null)
        {
            if (DescriptorFlags.Presence(flagArgument.Value, function.Flag, function.LinuxValue, surfaces) != FlagPresence.Absent)
            {
                return;
            }

            properties = properties.Add(FlagParameterProperty, flagArgument.Parameter!.Ordinal.ToString(CultureInfo.InvariantCulture));
        }
        else if (function.Replacement is null && call.Surface != PosixSurface.MonoNative)
        {
            // A declaration of our own without the flags parameter we expect: not a shape we understand.
            return;
        }

        if (IsStandardStreamSetup(invocation, call.Function) || CanOnlyFail(invocation, call.Function))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties, call.Function, Advice(function, flagArgument is not null)));
    }

    /// <summary>
    /// <c>fcntl(fd, F_SETFL, flags | O_CLOEXEC)</c>: the author meant to make the descriptor close-on-exec, and F_SETFL
    /// drops that flag. The flags are read where they are written: in the argument, or in the last write of a local
    /// before the call in the same block (<c>flags |= O_NONBLOCK | O_CLOEXEC;</c>).
    /// </summary>
    private static void AnalyzeSetfl(OperationAnalysisContext context, PosixSurfaces surfaces, IInvocationOperation invocation, PosixSurface surface)
    {
        if (!IsSetfl(OperationFacts.Argument(invocation, 1), surfaces) || OperationFacts.Argument(invocation, 2) is not { } flags)
        {
            return;
        }

        var presence = CloexecPresence(flags, surfaces);
        if (presence != FlagPresence.Present
            && OperationFacts.StripConversions(flags) is ILocalReferenceOperation
            && context.TryGetGraph() is { } graph
            && ControlFlowGraphs.Find(graph, invocation.Syntax, context.CancellationToken) is { Operation: IInvocationOperation inGraph } position
            && OperationFacts.Argument(inGraph, 2) is { } flagsInGraph
            && OperationFacts.StripConversions(flagsInGraph) is ILocalReferenceOperation local
            && !KnownIntegers.UntrackableLocals(position.Graph).Contains(local.Local))
        {
            presence = PresenceWrittenBefore(local.Local, position, surfaces);
        }

        if (presence == FlagPresence.Present)
        {
            var properties = ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, surface.ToString()).Add(FunctionProperty, "fcntl");
            if (NamesFdCloexec(OperationFacts.StripConversions(flags)))
            {
                properties = properties.Add(SetfdMeantProperty, "true");
            }

            context.ReportDiagnostic(Diagnostic.Create(SetflRule, invocation.Syntax.GetLocation(), properties));
        }
    }

    /// <summary>
    /// Whether flags given to F_SETFL ask for close-on-exec: O_CLOEXEC (open's spelling), or FD_CLOEXEC, F_SETFD's
    /// flag, which C ports pass to F_SETFL as often (<c>fcntl(fd, F_SETFL, FD_CLOEXEC)</c>). FD_CLOEXEC is 1, which
    /// F_SETFL reads as O_WRONLY, an access mode it ignores: it is recognised by its name, never by its value.
    /// </summary>
    private static FlagPresence CloexecPresence(IOperation flags, PosixSurfaces surfaces)
    {
        var presence = DescriptorFlags.Presence(flags, "O_CLOEXEC", CloexecFunction.OCloexec, surfaces);
        return presence != FlagPresence.Present && HasFdCloexec(flags) ? FlagPresence.Present : presence;
    }

    /// <summary>FD_CLOEXEC among the flags joined with | or +, whatever type declares it.</summary>
    private static bool HasFdCloexec(IOperation flags)
    {
        flags = OperationFacts.StripConversions(flags);
        return flags is IBinaryOperation { OperatorKind: BinaryOperatorKind.Or or BinaryOperatorKind.Add } binary
            ? HasFdCloexec(binary.LeftOperand) || HasFdCloexec(binary.RightOperand)
            : NamesFdCloexec(flags);
    }

    private static bool NamesFdCloexec(IOperation operation) => operation switch
    {
        IFieldReferenceOperation { Field: { Name: "FD_CLOEXEC", IsStatic: true } } => true,
        IPropertyReferenceOperation { Property: { Name: "FD_CLOEXEC", IsStatic: true } } => true,
        _ => false,
    };

    /// <summary>
    /// Whether the local's writes in the call's block, back from the call, put O_CLOEXEC or FD_CLOEXEC in: an <c>|=</c> of other flags
    /// is passed over (<c>flags |= O_NONBLOCK;</c> keeps what came before), a plain assignment decides.
    /// </summary>
    private static FlagPresence PresenceWrittenBefore(ILocalSymbol local, FlowPosition position, PosixSurfaces surfaces)
    {
        var origins = ValueOrigins.Of(position.Graph);
        var end = ReadIndex(position);
        while (origins.TryGetLastWrite(local, position.Block.Ordinal, end, out var write, out var index))
        {
            switch (write)
            {
                case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Or } compound:
                    var added = CloexecPresence(compound.Value, surfaces);
                    if (added != FlagPresence.Absent)
                    {
                        return added;
                    }

                    end = index;
                    continue;
                case ISimpleAssignmentOperation assignment:
                    return CloexecPresence(assignment.Value, surfaces);
                default:
                    return FlagPresence.Unknown;
            }
        }

        return FlagPresence.Unknown;
    }

    private static int ReadIndex(FlowPosition position)
        => position.Index == FlowPosition.BranchValueIndex ? position.Block.Operations.Length : position.Index;

    /// <summary>The command is F_SETFL: 4 as a constant of the project, Mono's <c>FcntlCommand.F_SETFL</c>, Tmds' <c>F_SETFL</c>.</summary>
    private static bool IsSetfl(IOperation? argument, PosixSurfaces surfaces)
    {
        if (argument is null)
        {
            return false;
        }

        var command = OperationFacts.StripConversions(argument);
        switch (command)
        {
            case IFieldReferenceOperation { Field: { HasConstantValue: true, ContainingType.TypeKind: TypeKind.Enum } member }
                when surfaces.BindingSurfaceOf(member.ContainingType) is not null:
                // Mono's FcntlCommand numbers are its own: read by name.
                return member.Name == "F_SETFL";
            case IPropertyReferenceOperation { Instance: null, Property: var property }
                when surfaces.BindingSurfaceOf(property.ContainingType) is PosixSurface.Tmds:
                return property.Name == "F_SETFL";
        }

        // F_SETFL is 4 on Linux, macOS and the BSDs, whatever the project calls its constant.
        return command.ConstantValue is { HasValue: true, Value: { } value } && value switch
        {
            int number => number == FSetfl,
            long number => number == FSetfl,
            uint number => number == FSetfl,
            ulong number => number == FSetfl,
            short number => number == FSetfl,
            _ => false,
        };
    }

    /// <summary>
    /// A call made to fail, which creates no descriptor: <c>epoll_create(0)</c> (EINVAL for a size below 1), or
    /// <c>dup</c>/<c>accept</c> of a negative constant descriptor (EBADF). Tests and probes make them on purpose.
    /// </summary>
    private static bool CanOnlyFail(IInvocationOperation invocation, string function)
    {
        var first = OperationFacts.Argument(invocation, 0);
        return function switch
        {
            "epoll_create" => first is not null && first.Type?.TypeKind != TypeKind.Enum && OperationFacts.StripConversions(first).ConstantValue is { HasValue: true, Value: int size } && size <= 0,
            "dup" or "accept" or "accept4" => OperationFacts.IsNoDescriptor(first),
            _ => false,
        };
    }

    /// <summary>
    /// A call of the project's wrapper that passes its caller's flags on unchanged: the caller's constant flags are
    /// judged here, at the argument. Flags the wrapper fixes are reported once, at the libc call in its body; a
    /// wrapper that adds or computes the flags maps no argument, and the call site stays silent.
    /// </summary>
    private static void AnalyzeWrapperCall(OperationAnalysisContext context, PosixSurfaces surfaces, IInvocationOperation invocation)
    {
        if (!LibcInvocation.MayBe(surfaces, invocation.TargetMethod, CloexecFunctions.Names)
            || !LibcInvocation.TryCreate(surfaces, invocation, CloexecFunctions.Names, context.CancellationToken, out var call)
            || !call.IsWrapped
            || !CloexecFunctions.ByName.TryGetValue(call.Call.Function, out var function)
            || FlagParameter(call.Target, function, call.Call.Surface) is not { } flagParameter
            || call.Argument(flagParameter.Ordinal) is not { } flags
            || DescriptorFlags.Presence(flags, function.Flag, function.LinuxValue, surfaces) != FlagPresence.Absent
            || IsStandardStreamSetup(invocation, call.Call.Function)
            || ArgumentOf(invocation, flags) is not { Parameter: { } wrapperParameter })
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(SurfaceProperty, call.Call.Surface.ToString())
            .Add(FunctionProperty, call.Call.Function)
            .Add(FlagParameterProperty, wrapperParameter.Ordinal.ToString(CultureInfo.InvariantCulture))
            .Add(WrapperProperty, call.ShownName);
        context.ReportDiagnostic(Diagnostic.Create(
            Rule, flags.Syntax.GetLocation(), new[] { invocation.Syntax.GetLocation() }, properties, call.ShownName, Advice(function, hasFlags: true)));
    }

    private static IArgumentOperation? ArgumentOf(IInvocationOperation invocation, IOperation value)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Value == value)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The libc method's parameter that takes the flags, or null when it has none.</summary>
    private static IParameterSymbol? FlagParameter(IMethodSymbol target, CloexecFunction function, PosixSurface surface)
    {
        foreach (var parameter in target.Parameters)
        {
            if (IsFlagParameter(parameter, function, surface))
            {
                return parameter;
            }
        }

        return null;
    }

    // Mono.Posix passes flags as its own enums, in overload-specific positions: find them by type.
    private static bool IsFlagParameter(IParameterSymbol parameter, CloexecFunction function, PosixSurface surface)
        => surface == PosixSurface.MonoNative
            ? parameter.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType && !enumType.GetMembers(function.Flag).IsEmpty
            : function.FlagParameter >= 0 && parameter.Ordinal == function.FlagParameter;

    /// <summary>The argument that carries the flags, or null when the called overload has no flags parameter.</summary>
    internal static IArgumentOperation? FlagArgument(IInvocationOperation invocation, CloexecFunction function, PosixSurface surface)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter && IsFlagParameter(parameter, function, surface))
            {
                return argument;
            }
        }

        return null;
    }

    private static string Advice(CloexecFunction function, bool hasFlags)
    {
        if (hasFlags || function.Replacement is null)
        {
            return "add " + function.Flag + " to its flags";
        }

        return function.Function switch
        {
            "dup" => "use fcntl(fd, F_DUPFD_CLOEXEC, 0)",
            "creat" or "creat64" => "use open with O_CREAT | O_TRUNC | O_CLOEXEC",
            _ => "use " + function.Replacement + " with " + function.Flag,
        };
    }

    /// <summary>
    /// The daemon idiom: after closing 0-2, <c>open("/dev/null")</c> and <c>dup(0)</c> fill the lowest free numbers,
    /// the standard streams, which must survive exec. Such results are discarded or compared with 0-2.
    /// </summary>
    private static bool IsStandardStreamSetup(IInvocationOperation invocation, string function)
    {
        if (function is not ("open" or "open64" or "openat" or "openat64" or "dup"))
        {
            return false;
        }

        var parent = invocation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        if (parent is IExpressionStatementOperation or ISimpleAssignmentOperation { Target: IDiscardOperation })
        {
            return true;
        }

        if (parent is IBinaryOperation binary)
        {
            var other = binary.LeftOperand == invocation || (binary.LeftOperand is IConversionOperation c && c.Operand == invocation)
                ? binary.RightOperand
                : binary.LeftOperand;
            return other.ConstantValue is { HasValue: true, Value: int number } && number is >= 0 and <= 2;
        }

        return false;
    }
}
