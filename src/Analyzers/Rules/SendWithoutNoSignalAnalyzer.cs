using System.Collections.Generic;
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
        if (flags is null || !SignalValues.CertainlyLacksFlag(flags, SignalValues.MSG_NOSIGNAL, surfaces, context.CancellationToken)
            || IsConnectionless(OperationFacts.Argument(invocation, 0), invocation, surfaces, context.CancellationToken))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(),
            additionalLocations: new[] { flags.Syntax.GetLocation() },
            properties: ImmutableDictionary<string, string?>.Empty.Add(SurfaceProperty, call.Surface.ToString()),
            call.Function));
    }

    /// <summary>
    /// The descriptor is a datagram or raw socket (SOCK_DGRAM, SOCK_RAW, SOCK_RDM: UDP, CAN, netlink, packet ...), which
    /// has no connection to lose and never raises SIGPIPE: every value it may hold comes from a <c>socket</c> call of
    /// such a type, through a local of the method or a field or property of its type.
    /// </summary>
    private static bool IsConnectionless(IOperation? descriptor, IInvocationOperation send, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        descriptor = descriptor is null ? null : OperationFacts.StripConversions(descriptor);
        List<IOperation>? values = null;
        switch (descriptor)
        {
            case ILocalReferenceOperation local:
                var root = (IOperation)send;
                while (root.Parent is { } parent)
                {
                    root = parent;
                }

                values = ValuesWritten(root, local.Local);
                break;
            case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol, Instance: null or IInstanceReferenceOperation } member
                when member.Member.ContainingType is { } type && member.Member.DeclaredAccessibility == Accessibility.Private:
                // A private member is written only in its type: every body of the type, and the member's initializer.
                values = new List<IOperation>();
                foreach (var body in BodiesOf(type, member.Member, surfaces, cancellationToken))
                {
                    if (ValuesWritten(body, member.Member) is not { } written)
                    {
                        return false;
                    }

                    values.AddRange(written);
                }

                break;
        }

        if (values is null || values.Count == 0)
        {
            return false;
        }

        var sockets = 0;
        foreach (var value in values)
        {
            // A member cleared after close (`= null`, `= -1`) holds no other socket.
            if (OperationFacts.StripConversions(value).ConstantValue is { HasValue: true, Value: null } || OperationFacts.IsNoDescriptor(value))
            {
                continue;
            }

            if (OperationFacts.StripConversions(value) is not IInvocationOperation creation
                || !surfaces.TryGetLibcCall(creation.TargetMethod, SocketFunction, out _)
                || SignalValues.IntegerValue(OperationFacts.Argument(creation, 1), surfaces, cancellationToken) is not { } socketType
                || (socketType & 0xF) is not (SockDgram or SockRaw or SockRdm))
            {
                return false;
            }

            sockets++;
        }

        return sockets > 0;
    }

    private const long SockDgram = 2, SockRaw = 3, SockRdm = 4;

    /// <summary>The type's method, constructor and accessor bodies, and the member's own initializer.</summary>
    private static IEnumerable<IOperation> BodiesOf(INamedTypeSymbol type, ISymbol member, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        foreach (var candidate in type.GetMembers())
        {
            foreach (var reference in candidate.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(cancellationToken);
                var initializer = syntax switch
                {
                    VariableDeclaratorSyntax { Initializer: { } value } when SymbolEqualityComparer.Default.Equals(candidate, member) => value,
                    PropertyDeclarationSyntax { Initializer: { } value } when SymbolEqualityComparer.Default.Equals(candidate, member) => value,
                    _ => null,
                };
                SyntaxNode? node = candidate is IMethodSymbol ? syntax : initializer;
                if (node is not null && surfaces.Summaries.ModelOf(syntax.SyntaxTree)?.GetOperation(node, cancellationToken) is { } operation)
                {
                    yield return operation;
                }
            }
        }
    }

    private static readonly FunctionSet SocketFunction = PosixSurfaces.Functions("socket");

    /// <summary>
    /// The values assigned to the local or member under <paramref name="scope"/> (its initializer included); null when
    /// one of its writes names no value (<c>ref</c>/<c>out</c>, a compound assignment, a deconstruction).
    /// </summary>
    private static List<IOperation>? ValuesWritten(IOperation scope, ISymbol variable)
    {
        var values = new List<IOperation>();
        foreach (var operation in OperationWalk.WithSelf(scope))
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, variable):
                    if (declarator.GetVariableInitializer()?.Value is { } initial)
                    {
                        values.Add(initial);
                    }

                    break;
                case IFieldInitializerOperation fieldInitializer when fieldInitializer.InitializedFields.Contains((variable as IFieldSymbol)!, SymbolEqualityComparer.Default):
                    values.Add(fieldInitializer.Value);
                    break;
                case IPropertyInitializerOperation propertyInitializer when propertyInitializer.InitializedProperties.Contains((variable as IPropertySymbol)!, SymbolEqualityComparer.Default):
                    values.Add(propertyInitializer.Value);
                    break;
                case ISimpleAssignmentOperation { IsRef: false } assignment when Names(assignment.Target, variable):
                    values.Add(assignment.Value);
                    break;
                case ILocalReferenceOperation or IMemberReferenceOperation when Names(operation, variable) && IsOtherWrite(operation):
                    return null;
                // `other._fd = socket(...)`: another instance's value is not seen here.
                case IMemberReferenceOperation { Instance: not (null or IInstanceReferenceOperation) } elsewhere
                    when SymbolEqualityComparer.Default.Equals(elsewhere.Member, variable)
                         && (elsewhere.Parent is ISimpleAssignmentOperation { Target: var target } && target == elsewhere || IsOtherWrite(elsewhere)):
                    return null;
            }
        }

        return values;
    }

    private static bool Names(IOperation target, ISymbol variable) => target switch
    {
        ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, variable),
        IMemberReferenceOperation { Instance: null or IInstanceReferenceOperation } member => SymbolEqualityComparer.Default.Equals(member.Member, variable),
        _ => false,
    };

    private static bool IsOtherWrite(IOperation reference)
    {
        var current = reference;
        while (current.Parent is ITupleOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            ISimpleAssignmentOperation { IsRef: true } assignment => assignment.Target == current,
            ICompoundAssignmentOperation compound => compound.Target == current,
            ICoalesceAssignmentOperation coalesce => coalesce.Target == current,
            IIncrementOrDecrementOperation => true,
            IDeconstructionAssignmentOperation deconstruction => deconstruction.Target == current,
            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
            _ => false,
        };
    }

    /// <summary>send(fd, buf, len, flags), sendto(fd, buf, len, flags, addr, addrlen), sendmsg(fd, msg, flags), sendmmsg(fd, vec, n, flags).</summary>
    private static int FlagsOrdinal(string function) => function switch
    {
        "sendmsg" => 2,
        _ => 3,
    };
}
