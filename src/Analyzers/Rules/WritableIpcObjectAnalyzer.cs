using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX4005: IPC objects created with group or other write permission.</summary>
public sealed class WritableIpcObjectAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";

    /// <summary>The ordinal of the parameter that carries the mode (alone, or inside IPC flags).</summary>
    public const string ModeParameterProperty = "ModeParameter";

    /// <summary>Present when the mode shares its argument with other flags (msgget, shmget, semget).</summary>
    public const string MixedWithFlagsProperty = "MixedWithFlags";

    private const long IpcCreat = 0x200;
    private const long OCreat = 0x40;

    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.WritableIpcObject,
        "Do not create IPC objects that other users can write",
        "'{0}' creates an IPC object with mode {1}, which lets other users write to it; narrow the mode to 0600",
        RuleCategories.Security,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "A message queue, shared memory segment, semaphore set or FIFO that group or other users can write is an " +
            "open door: any local user can inject messages, corrupt shared state, or block the owner. System V IPC " +
            "objects (msgget, shmget, semget) ignore the umask, so their mode is exactly what the code asks for; " +
            "mkfifo, shm_open and mq_open are narrowed by the umask, which a service or container may set to 0. Ask " +
            "for owner read and write (0600) and widen deliberately, to a group, where sharing is the point.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.WritableIpcObject));

    private sealed class IpcFunction
    {
        public IpcFunction(int keyParameter, int modeParameter, int createFlagsParameter, long createFlag)
        {
            KeyParameter = keyParameter;
            ModeParameter = modeParameter;
            CreateFlagsParameter = createFlagsParameter;
            CreateFlag = createFlag;
        }

        /// <summary>System V key (IPC_PRIVATE objects cannot be found by others); -1 when the object has a path.</summary>
        public int KeyParameter { get; }

        public int ModeParameter { get; }

        /// <summary>The parameter whose flags must ask for creation; -1 when the call always creates.</summary>
        public int CreateFlagsParameter { get; }

        public long CreateFlag { get; }
    }

    private static readonly ImmutableDictionary<string, IpcFunction> Functions = ImmutableDictionary.CreateRange(new[]
    {
        Entry("msgget", new IpcFunction(0, 1, 1, IpcCreat)),
        Entry("semget", new IpcFunction(0, 2, 2, IpcCreat)),
        Entry("shmget", new IpcFunction(0, 2, 2, IpcCreat)),
        Entry("mkfifo", new IpcFunction(-1, 1, -1, 0)),
        Entry("mkfifoat", new IpcFunction(-1, 2, -1, 0)),
        Entry("shm_open", new IpcFunction(-1, 2, 1, OCreat)),
        Entry("mq_open", new IpcFunction(-1, 2, 1, OCreat)),
    });

    private static readonly FunctionSet Names = PosixSurfaces.Functions("msgget", "semget", "shmget", "mkfifo", "mkfifoat", "shm_open", "mq_open");

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

            start.RegisterOperationAction(LibcCallAction.Create(surfaces, GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces))), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, Names, out var call) || !Functions.TryGetValue(call.Function, out var function))
        {
            return;
        }

        if (function.KeyParameter >= 0 && PermissionValues.Value(OperationFacts.Argument(invocation, function.KeyParameter), surfaces) is not null and 0)
        {
            // IPC_PRIVATE: no other process can look the object up.
            return;
        }

        if (function.KeyParameter >= 0 && OperationFacts.Argument(invocation, function.KeyParameter) is null)
        {
            return;
        }

        if (function.CreateFlagsParameter >= 0
            && (PermissionValues.Value(OperationFacts.Argument(invocation, function.CreateFlagsParameter), surfaces) is not { } flags || (flags & function.CreateFlag) == 0))
        {
            return;
        }

        if (OperationFacts.Argument(invocation, function.ModeParameter) is not { } modeArgument
            || PermissionValues.Value(modeArgument, surfaces) is not { } mode
            || (mode & PermissionValues.GroupOrOtherWrite) == 0)
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(SurfaceProperty, call.Surface.ToString())
            .Add(ModeParameterProperty, function.ModeParameter.ToString(CultureInfo.InvariantCulture));
        if (function.ModeParameter == function.CreateFlagsParameter)
        {
            properties = properties.Add(MixedWithFlagsProperty, "true");
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), properties,
            call.Function, PermissionValues.Octal(mode & PermissionValues.PermissionBits)));
    }

    private static System.Collections.Generic.KeyValuePair<string, IpcFunction> Entry(string name, IpcFunction function) => new(name, function);
}
