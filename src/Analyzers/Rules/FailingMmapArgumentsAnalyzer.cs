using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX3004: mmap arguments that make the call fail every time, or the mapping fault on first touch.</summary>
public sealed class FailingMmapArgumentsAnalyzer : DiagnosticAnalyzer
{
    public const string ShapeProperty = "Shape";
    public const string ZeroLengthShape = "ZeroLength";
    public const string NoMappingTypeShape = "NoMappingType";
    public const string ReadOnlyDescriptorShape = "ReadOnlyDescriptor";
    public const string WriteOnlyDescriptorShape = "WriteOnlyDescriptor";
    public const string EmptyFileShape = "EmptyFile";

    private const string Title = "Pass mmap arguments that can succeed";
    private const string Description =
        "Some mmap arguments fail on every call: a length of 0 (EINVAL); flags with neither MAP_SHARED nor MAP_PRIVATE " +
        "(EINVAL); a descriptor opened O_WRONLY (EACCES: every file mapping needs read access); a descriptor opened " +
        "O_RDONLY mapped MAP_SHARED with PROT_WRITE (EACCES). A file just created or truncated is empty: mapping it " +
        "succeeds, but the first access beyond the file's end raises SIGBUS, which kills the .NET process.";

    public static readonly DiagnosticDescriptor ZeroLengthRule = new(
        RuleIds.FailingMmapArguments,
        Title,
        "mmap with length 0 always fails with EINVAL; pass the number of bytes to map",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.FailingMmapArguments));

    public static readonly DiagnosticDescriptor NoMappingTypeRule = new(
        RuleIds.FailingMmapArguments,
        Title,
        "mmap flags have neither MAP_SHARED nor MAP_PRIVATE, so the call always fails with EINVAL; add one of them",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.FailingMmapArguments));

    public static readonly DiagnosticDescriptor ReadOnlyDescriptorRule = new(
        RuleIds.FailingMmapArguments,
        Title,
        "'{0}' is opened O_RDONLY, so a writable MAP_SHARED mapping of it fails with EACCES; open it O_RDWR",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.FailingMmapArguments));

    public static readonly DiagnosticDescriptor WriteOnlyDescriptorRule = new(
        RuleIds.FailingMmapArguments,
        Title,
        "'{0}' is opened O_WRONLY, so mmap fails with EACCES (a mapping needs read access); open it O_RDWR",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.FailingMmapArguments));

    public static readonly DiagnosticDescriptor EmptyFileRule = new(
        RuleIds.FailingMmapArguments,
        Title,
        "'{0}' is a new or truncated, empty file: touching this mapping raises SIGBUS; ftruncate it first",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.FailingMmapArguments));

    private static readonly FunctionSet OpenFunctions = PosixSurfaces.Functions("open", "open64", "openat", "openat64", "creat", "creat64");

    // Calls that leave a descriptor's file empty or not are not worth guessing: any use of the descriptor other than
    // these (and comparisons) may give the file a size.
    private static readonly FunctionSet SizeNeutralFunctions = PosixSurfaces.Functions("mmap", "mmap64", "close", "fcntl", "flock", "lockf", "fsync", "fdatasync");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(ZeroLengthRule, NoMappingTypeRule, ReadOnlyDescriptorRule, WriteOnlyDescriptorRule, EmptyFileRule);

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
        if (!LibcInvocation.MayBe(surfaces, invocation.TargetMethod, MappingValues.MmapFunctions)
            || !LibcInvocation.TryCreate(surfaces, invocation, MappingValues.MmapFunctions, context.CancellationToken, out var mmap)
            || mmap.Target.Parameters.Length != 6)
        {
            return;
        }

        ControlFlowGraph? graph = null;
        var arguments = mmap;
        if (NeedsGraph(invocation)
            && context.TryGetGraph() is { } found
            && ControlFlowGraphs.Find(found, invocation.Syntax, context.CancellationToken) is { Operation: IInvocationOperation inGraph } position)
        {
            graph = position.Graph;
            arguments = mmap.With(inGraph);
        }

        // Through a wrapper, an argument the wrapper fixes is reported in the wrapper; it still counts with the
        // caller's arguments (fixed PROT_WRITE | MAP_SHARED over the caller's read-only descriptor).
        var integers = new KnownIntegers(surfaces, graph, context.CancellationToken);
        var fixedValues = new KnownIntegers(surfaces, null, context.CancellationToken);
        long? ValueOf(int ordinal) => arguments.Argument(ordinal) is { } passed
            ? integers.Evaluate(passed).Exact
            : arguments.FixedArgument(ordinal) is { } fixedValue ? fixedValues.Evaluate(fixedValue).Exact : null;

        var length = arguments.Argument(1) is { } lengthArgument ? integers.Evaluate(lengthArgument).Exact : null;
        if (length == 0)
        {
            Report(context, ZeroLengthRule, ArgumentSyntax(mmap, 1), ZeroLengthShape);
            return;
        }

        var flags = ValueOf(3);
        if (flags is { } knownFlags && (knownFlags & MappingValues.MapType) is not (MappingValues.MapShared or MappingValues.MapPrivate or MappingValues.MapSharedValidate))
        {
            if (mmap.Argument(3) is not null)
            {
                Report(context, NoMappingTypeRule, ArgumentSyntax(mmap, 3), NoMappingTypeShape);
            }

            return;
        }

        if (flags is not { } mapFlags || (mapFlags & MappingValues.MapAnonymous) != 0
            || graph is null
            || arguments.Argument(4) is not { } fdArgument
            || MappingOrigins.StripConversions(fdArgument) is not ILocalReferenceOperation descriptor
            || ValueOrigins.Of(graph).SingleAssignment(descriptor.Local) is not { } assigned
            || MappingOrigins.StripConversions(assigned) is not IInvocationOperation open
            || !surfaces.TryGetLibcCall(open.TargetMethod, OpenFunctions, out var openCall))
        {
            return;
        }

        var openFlags = OpenFlags(open, openCall.Function, integers, out var flagsOperand);
        if (openFlags is not { } knownOpenFlags)
        {
            return;
        }

        var name = descriptor.Local.Name;
        var accessMode = knownOpenFlags & MappingValues.OpenAccessMode;
        var prot = ValueOf(2);
        var properties = ImmutableDictionary<string, string?>.Empty;
        var additional = flagsOperand is null ? null : new[] { flagsOperand.Syntax.GetLocation() };
        if (accessMode == MappingValues.OpenWriteOnly)
        {
            context.ReportDiagnostic(Diagnostic.Create(WriteOnlyDescriptorRule, ArgumentSyntax(mmap, 4), additional,
                properties.Add(ShapeProperty, WriteOnlyDescriptorShape), name));
            return;
        }

        if (accessMode == MappingValues.OpenReadOnly && prot is { } knownProt && (knownProt & MappingValues.ProtWrite) != 0
            && (mapFlags & MappingValues.MapType) is MappingValues.MapShared or MappingValues.MapSharedValidate)
        {
            context.ReportDiagnostic(Diagnostic.Create(ReadOnlyDescriptorRule, ArgumentSyntax(mmap, 4), additional,
                properties.Add(ShapeProperty, ReadOnlyDescriptorShape), name));
            return;
        }

        // O_CREAT | O_EXCL makes a new, empty file even under /dev (or fails); O_TRUNC empties only regular files.
        var createdEmpty = (knownOpenFlags & (MappingValues.OpenCreate | OpenExclusive)) == (MappingValues.OpenCreate | OpenExclusive)
            || ((knownOpenFlags & MappingValues.OpenTruncate) != 0 && !OpensDevice(open, openCall.Function));
        if (createdEmpty && !DescriptorMayGrow(surfaces, graph, descriptor.Local))
        {
            context.ReportDiagnostic(Diagnostic.Create(EmptyFileRule, ArgumentSyntax(mmap, 4),
                properties.Add(ShapeProperty, EmptyFileShape), name));
        }
    }

    private const long OpenExclusive = 0x80;

    /// <summary>
    /// A constant path under /dev other than /dev/shm: O_TRUNC does nothing to a device (raspberry-sharp-io opens
    /// /dev/mem with a decimal 10000 for O_SYNC, which holds O_TRUNC's bit), and its mapping is the device's memory.
    /// </summary>
    private static bool OpensDevice(IInvocationOperation open, string function)
    {
        var ordinal = function.StartsWith("openat", System.StringComparison.Ordinal) ? 1 : 0;
        return open.TargetMethod.Parameters.Length > ordinal
            && OperationFacts.Argument(open, ordinal) is { } path
            && OperationFacts.StripConversions(path).ConstantValue is { HasValue: true, Value: string text }
            && text.StartsWith("/dev/", System.StringComparison.Ordinal)
            && !text.StartsWith("/dev/shm/", System.StringComparison.Ordinal);
    }

    /// <summary>The open flags, and the operand of them that names the access mode (O_RDONLY / O_WRONLY), for the fix.</summary>
    private static long? OpenFlags(IInvocationOperation open, string function, KnownIntegers integers, out IOperation? accessModeOperand)
    {
        accessModeOperand = null;
        if (function.StartsWith("creat", System.StringComparison.Ordinal))
        {
            return MappingValues.OpenWriteOnly | MappingValues.OpenCreate | MappingValues.OpenTruncate;
        }

        var ordinal = function.StartsWith("openat", System.StringComparison.Ordinal) ? 2 : 1;
        if (open.TargetMethod.Parameters.Length <= ordinal || OperationFacts.Argument(open, ordinal) is not { } flags)
        {
            return null;
        }

        var value = integers.Evaluate(flags).Exact;
        foreach (var operand in OperationWalk.WithSelf(flags))
        {
            var name = operand switch
            {
                IFieldReferenceOperation field => field.Field.Name,
                IPropertyReferenceOperation property => property.Property.Name,
                _ => null,
            };
            if (name is "O_RDONLY" or "O_WRONLY")
            {
                accessModeOperand = accessModeOperand is null ? operand : null;
            }
        }

        return value;
    }

    /// <summary>Whether anything but mmap, close and the like touches the descriptor: a write, ftruncate, or a helper that may size the file.</summary>
    private static bool DescriptorMayGrow(PosixSurfaces surfaces, ControlFlowGraph graph, ILocalSymbol descriptor)
    {
        foreach (var block in graph.Blocks)
        {
            foreach (var statement in ControlFlowGraphs.TopLevelOperations(block))
            {
                foreach (var operation in OperationWalk.WithSelf(statement))
                {
                    if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, descriptor))
                    {
                        continue;
                    }

                    var user = reference.Parent;
                    while (user is IConversionOperation)
                    {
                        user = user.Parent;
                    }

                    switch (user)
                    {
                        case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                            continue; // the open's own assignment (the only one: SingleAssignment held)
                        case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual }:
                        case IIsPatternOperation:
                            continue;
                        case IArgumentOperation { Parent: IInvocationOperation call }
                            when surfaces.TryGetLibcCall(call.TargetMethod, SizeNeutralFunctions, out _):
                            continue;
                        default:
                            return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool NeedsGraph(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (KnownIntegers.NeedsGraph(argument.Value))
            {
                return true;
            }
        }

        return false;
    }

    private static Location ArgumentSyntax(LibcInvocation call, int ordinal)
        => (call.Argument(ordinal)?.Syntax ?? call.Invocation.Syntax).GetLocation();

    private static void Report(OperationAnalysisContext context, DiagnosticDescriptor rule, Location location, string shape)
        => context.ReportDiagnostic(Diagnostic.Create(rule, location, ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, shape)));
}
