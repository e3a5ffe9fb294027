using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX5001: errno is only the failing call's errno when that call saved it and nothing saved another since.</summary>
public sealed class StaleErrnoAnalyzer : DiagnosticAnalyzer
{
    public const string ShapeProperty = "Shape";
    public const string NoSetLastErrorShape = "NoSetLastError";
    public const string OverwrittenShape = "Overwritten";
    public const string LiveErrnoShape = "LiveErrno";

    private const string Title = "Read errno right after the call that set it";
    private const string Description =
        "A P/Invoke saves errno for Marshal.GetLastPInvokeError (GetLastWin32Error, Mono's Stdlib.GetLastError, Tmds.LibC's " +
        "errno) only when it is declared with SetLastError = true; otherwise those return whatever an earlier call left. " +
        "Every SetLastError call overwrites the saved value, so a read after another such call reports that call's error. " +
        "Marshal.GetLastSystemError and *__errno_location() read the live errno, which the runtime may change between " +
        "the call and the read (GC, JIT, other P/Invokes); so does kernel32's GetLastError called through a P/Invoke, " +
        "which on .NET even reads 0 when that P/Invoke is declared with SetLastError = true (the marshaller clears the code before the call). Wrong errno values turn EAGAIN into a fatal error, or EINTR retries into endless loops.";

    public static readonly DiagnosticDescriptor NoSetLastErrorRule = new(
        RuleIds.StaleErrno,
        Title,
        "'{0}' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor OverwrittenRule = new(
        RuleIds.StaleErrno,
        Title,
        "This errno is from '{1}', not '{0}'; read errno right after '{0}' fails",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    // The same findings about a Windows system library's import, whose saved value is its last-error code, not errno.
    public static readonly DiagnosticDescriptor NoSetLastErrorWindowsRule = new(
        RuleIds.StaleErrno,
        Title,
        "'{0}' lacks SetLastError = true, so this error code is stale; add SetLastError = true to its declaration",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor OverwrittenWindowsRule = new(
        RuleIds.StaleErrno,
        Title,
        "This error code is from '{1}', not '{0}'; read it right after '{0}' fails",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor LiveErrnoRule = new(
        RuleIds.StaleErrno,
        Title,
        "GetLastSystemError reads the live errno, which the runtime may change after '{0}'; use GetLastPInvokeError",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor LiveLastErrorRule = new(
        RuleIds.StaleErrno,
        Title,
        "Imported GetLastError reads a live code the runtime may reset after '{0}'; use {1}",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor ClearedLastErrorRule = new(
        RuleIds.StaleErrno,
        Title,
        "'{0}' imported with SetLastError = true reads 0: .NET clears the error before the call; use GetLastPInvokeError",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor StatusReturnedRule = new(
        RuleIds.StaleErrno,
        Title,
        "'{0}' returns its failure as a status and sets no last error; read its return value instead",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public static readonly DiagnosticDescriptor LiveErrnoLocationRule = new(
        RuleIds.StaleErrno,
        Title,
        "*__errno_location() reads the live errno, which the runtime may change after '{0}'; use GetLastPInvokeError",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: Description,
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleErrno));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(NoSetLastErrorRule, OverwrittenRule, LiveErrnoRule, LiveErrnoLocationRule, NoSetLastErrorWindowsRule, OverwrittenWindowsRule, LiveLastErrorRule, ClearedLastErrorRule, StatusReturnedRule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.NotAnalyzed);
        context.RegisterCompilationStartAction(start =>
        {
            var surfaces = PosixSurfaces.Create(start.Compilation);
            // Without a native call there is no errno to read stale.
            if (!surfaces.MayCallNative)
            {
                return;
            }

            start.RegisterOperationAction(
                GeneratedCode.OutsideGeneratedMembers(operation =>
                {
                    if (ErrnoSurfaces.MayReadErrno(((IInvocationOperation)operation.Operation).TargetMethod.Name))
                    {
                        Analyze(operation, operation.Operation, surfaces);
                    }
                }),
                OperationKind.Invocation);

            // `throw new Win32Exception()` (or SocketException()), or one thrown as the inner exception (`throw new
            // IOException("...", new Win32Exception())`): looked for at throws, which are far fewer than object creations.
            if (surfaces.KnownType(ErrnoSurfaces.Win32ExceptionName) is not null || surfaces.KnownType(ErrnoSurfaces.SocketExceptionName) is not null)
            {
                start.RegisterOperationAction(
                    GeneratedCode.OutsideGeneratedMembers(operation =>
                    {
                        if (((IThrowOperation)operation.Operation).Exception is not { } thrown)
                        {
                            return;
                        }

                        AnalyzeWin32ExceptionsIn(operation, thrown, surfaces);
                    }),
                    OperationKind.Throw);
            }

            // Only Tmds.LibC reads errno through a property: without it, property references cost nothing.
            if (surfaces.TmdsLibC is not null)
            {
                start.RegisterOperationAction(
                    GeneratedCode.OutsideGeneratedMembers(operation =>
                    {
                        if (((IPropertyReferenceOperation)operation.Operation).Property.Name == "errno")
                        {
                            Analyze(operation, operation.Operation, surfaces);
                        }
                    }),
                    OperationKind.PropertyReference);
            }
        });
    }

    /// <summary>
    /// Reads each parameterless Win32Exception or SocketException a thrown expression makes as it is evaluated: not
    /// those of a nested throw (its own callback reads them) nor of a lambda, which runs later or never. Runs at every
    /// throw of a project with a P/Invoke, so it walks without allocating.
    /// </summary>
    private static void AnalyzeWin32ExceptionsIn(OperationAnalysisContext context, IOperation value, PosixSurfaces surfaces)
    {
        if (value is IObjectCreationOperation { Constructor: { Parameters.IsEmpty: true } constructor } creation
            && ErrnoSurfaces.ReadsSavedErrorWhenMade(surfaces, constructor.ContainingType))
        {
            Analyze(context, creation, surfaces);
        }

        foreach (var child in value.ChildOperations)
        {
            if (child is not (IThrowOperation or IAnonymousFunctionOperation or ILocalFunctionOperation))
            {
                AnalyzeWin32ExceptionsIn(context, child, surfaces);
            }
        }
    }

    private static void Analyze(OperationAnalysisContext context, IOperation errnoRead, PosixSurfaces surfaces)
    {
        var kind = ErrnoSurfaces.Classify(surfaces, errnoRead);
        if (kind == ErrnoRead.ClearedLastError)
        {
            // Wrong whatever came before: no graph needed.
            context.ReportDiagnostic(Diagnostic.Create(ClearedLastErrorRule, errnoRead.Syntax.GetLocation(), ((IInvocationOperation)errnoRead).TargetMethod.Name));
            return;
        }

        if (kind == ErrnoRead.None
            || context.TryGetGraph() is not { } graph
            || ControlFlowGraphs.Find(graph, errnoRead.Syntax, context.CancellationToken) is not { } read)
        {
            return;
        }

        var sources = new ErrnoSources(surfaces, read.Graph, context.CancellationToken);
        if (sources.Subject(read) is not { } subject
            || !ErrnoSurfaces.TryGetNativeTarget(surfaces, subject.TargetMethod, out var target, out var call))
        {
            return;
        }

        // Through a wrapper the declaration to fix is the import it calls; the message names that import.
        var saves = ErrnoSurfaces.SavesErrno(surfaces, target, call.Surface);
        var name = target.Name;
        var location = errnoRead.Syntax.GetLocation();
        if (kind == ErrnoRead.Live)
        {
            if (saves && surfaces.MarshalType?.GetMembers("GetLastPInvokeError").Length > 0)
            {
                context.ReportDiagnostic(Diagnostic.Create(LiveErrnoRule, location, Shape(LiveErrnoShape), name));
            }

            return;
        }

        // The C library's own errno, read through another P/Invoke: right only by luck after any P/Invoke. With
        // SetLastError the saved value is the one to read; without it, the declaration needs SetLastError first.
        if (kind == ErrnoRead.LiveLocation && saves)
        {
            context.ReportDiagnostic(Diagnostic.Create(LiveErrnoLocationRule, location, Shape(LiveErrnoShape), name));
            return;
        }

        // kernel32's GetLastError through a P/Invoke: the value the marshaller saved is the one to read.
        if (kind == ErrnoRead.LiveLastError && saves)
        {
            var saved = surfaces.MarshalType?.GetMembers("GetLastPInvokeError").Length > 0 ? "GetLastPInvokeError" : "GetLastWin32Error";
            context.ReportDiagnostic(Diagnostic.Create(LiveLastErrorRule, location, Shape(LiveErrnoShape), name, saved));
            return;
        }

        var windows = surfaces.TryGetWindowsImport(target, out var windowsCall);
        if (windows && ErrnoSurfaces.ReturnsItsStatus(target, windowsCall.Function))
        {
            // SetLastError would not help: the error is the call's result (NtQueryInformationProcess, NetUserEnum).
            context.ReportDiagnostic(Diagnostic.Create(StatusReturnedRule, location, name));
            return;
        }

        if (!saves)
        {
            var declaration = ErrnoSurfaces.ImportAttributeLocation(surfaces, target, context.CancellationToken);
            context.ReportDiagnostic(Diagnostic.Create(windows ? NoSetLastErrorWindowsRule : NoSetLastErrorRule, location,
                declaration is null ? null : new[] { declaration }, Shape(NoSetLastErrorShape), name));
            return;
        }

        var between = sources.SavingCallsBetween(read, subject);
        if (between.Count > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(windows ? OverwrittenWindowsRule : OverwrittenRule, location, Shape(OverwrittenShape), name, between[0].TargetMethod.Name));
        }
    }

    private static ImmutableDictionary<string, string?> Shape(string shape)
        => ImmutableDictionary<string, string?>.Empty.Add(ShapeProperty, shape);
}
