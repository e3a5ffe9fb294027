using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX2007 (off by default): raw send-family calls without MSG_NOSIGNAL, for code hosted where SIGPIPE may not be ignored.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SendWithoutNoSignalAnalyzer : DiagnosticAnalyzer
{
    public const string SurfaceProperty = "Surface";

    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.SendWithoutNoSignal,
        "Pass MSG_NOSIGNAL to raw send calls in code that may run where SIGPIPE is not ignored",
        "'{0}' without MSG_NOSIGNAL raises SIGPIPE on a closed peer where the host does not ignore it; add MSG_NOSIGNAL",
        RuleCategories.Reliability,
        DiagnosticSeverity.Info,
        isEnabledByDefault: false,
        description:
            "An ordinary .NET process ignores SIGPIPE, so a raw send to a peer that has gone fails with EPIPE. Code that may " +
            "be hosted elsewhere (a library loaded by a native host that embeds the runtime, Unity, Mono) cannot count on " +
            "that: there SIGPIPE's default action kills the whole process. MSG_NOSIGNAL makes that one call return EPIPE " +
            "whatever the process-wide disposition is. Off by default: enable it for libraries meant for such hosts. Never " +
            "cast MSG_NOSIGNAL into System.Net.Sockets.SocketFlags (PSX2006).",
        helpLinkUri: RuleIds.HelpLink(RuleIds.SendWithoutNoSignal));

    private static readonly FunctionSet Functions = PosixSurfaces.Functions("send", "sendto", "sendmsg", "sendmmsg");

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
        if (!surfaces.TryGetLibcCall(invocation.TargetMethod, Functions, out var call)
            || OperationFacts.IsNoDescriptor(OperationFacts.Argument(invocation, 0)))
        {
            return;
        }

        var flags = OperationFacts.Argument(invocation, FlagsOrdinal(call.Function));
        if (flags is null || !SignalValues.CertainlyLacksFlag(flags, SignalValues.MSG_NOSIGNAL, surfaces, context.CancellationToken))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(),
            additionalLocations: new[] { flags.Syntax.GetLocation() },
            properties: ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, call.Surface.ToString()),
            call.Function));
    }

    /// <summary>send(fd, buf, len, flags), sendto(fd, buf, len, flags, addr, addrlen), sendmsg(fd, msg, flags), sendmmsg(fd, vec, n, flags).</summary>
    private static int FlagsOrdinal(string function) => function switch
    {
        "sendmsg" => 2,
        _ => 3,
    };
}
