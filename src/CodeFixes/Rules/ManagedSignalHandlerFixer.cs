using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX2009: rewrite <c>signal(sig, handler);</c> to a PosixSignalRegistration for the same signal, kept alive in a
/// static field, whose callback runs the handler's code (with the signal number it was given) on a normal thread.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ManagedSignalHandlerFixer))]
[Shared]
public sealed class ManagedSignalHandlerFixer : CodeFixProvider
{
    public const string UseRegistrationKey = RuleIds.ManagedSignalHandler + ".UsePosixSignalRegistration";

    // The signals PosixSignal names; any other number is passed as (PosixSignal)n, which Unix accepts.
    private static readonly Dictionary<int, string> Named = new()
    {
        [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [15] = "SIGTERM", [17] = "SIGCHLD",
        [18] = "SIGCONT", [20] = "SIGTSTP", [21] = "SIGTTIN", [22] = "SIGTTOU", [28] = "SIGWINCH",
    };

    // Signals whose default action is not to end or stop the process: the raw handler replaced nothing to cancel.
    private static readonly HashSet<int> HarmlessByDefault = new() { 17, 18, 23, 28 };

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ManagedSignalHandler);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(
        async (context, document, diagnostics) => await RewriteAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.PosixSignalRegistration") is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan(root, model, diagnostic, context.CancellationToken) is { } plan)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Use PosixSignalRegistration for " + plan.SignalName + ", kept in a static field",
                        cancellationToken => RewriteAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        UseRegistrationKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> RewriteAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var taken = new Dictionary<TypeDeclarationSyntax, HashSet<string>>();
        var fields = new Dictionary<TypeDeclarationSyntax, List<MemberDeclarationSyntax>>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (Plan(editor.OriginalRoot, editor.SemanticModel, diagnostic, cancellationToken) is not { } plan)
            {
                continue;
            }

            if (!taken.TryGetValue(plan.Type, out var names))
            {
                names = new HashSet<string>(plan.Type.Members.OfType<FieldDeclarationSyntax>()
                    .SelectMany(f => f.Declaration.Variables).Select(v => v.Identifier.ValueText), StringComparer.Ordinal);
                taken.Add(plan.Type, names);
                fields.Add(plan.Type, new List<MemberDeclarationSyntax>());
            }

            var baseName = "_" + plan.SignalName.ToLowerInvariant() + "Registration";
            var name = baseName;
            for (var suffix = 2; !names.Add(name); suffix++)
            {
                name = baseName + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            fields[plan.Type].Add(FieldDeclaration(
                    VariableDeclaration(NullableType(RegistrationType()))
                        .AddVariables(VariableDeclarator(name)))
                .AddModifiers(Token(SyntaxKind.PrivateKeyword), Token(SyntaxKind.StaticKeyword))
                .WithAdditionalAnnotations(Formatter.Annotation));
            var create = InvocationExpression(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RegistrationType(), IdentifierName("Create")),
                ArgumentList(SeparatedList(new[] { Argument(plan.Signal), Argument(plan.Callback) })));
            var assignment = ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(name), create));
            editor.ReplaceNode(plan.Statement, LaidOut(assignment, plan.Statement));
            foreach (var node in plan.Removed)
            {
                editor.RemoveNode(node, SyntaxRemoveOptions.KeepUnbalancedDirectives);
            }
        }

        foreach (var pair in fields)
        {
            // After the type's last field, so fixing one call at a time and all at once give the same order.
            var lastField = pair.Key.Members.LastOrDefault(m => m is FieldDeclarationSyntax);
            if (lastField is null)
            {
                editor.InsertMembers(pair.Key, 0, pair.Value);
            }
            else
            {
                editor.InsertAfter(lastField, pair.Value);
            }
        }

        return editor.GetChangedDocument();
    }

    /// <summary>
    /// The new statement laid out at the old one's indentation: the formatter leaves a lambda block on one line when
    /// it was built on one, so the text is normalized and indented here, then the qualified names are handed back to
    /// the simplifier.
    /// </summary>
    private static StatementSyntax LaidOut(StatementSyntax statement, StatementSyntax replaced)
    {
        var endOfLine = replaced.SyntaxTree.GetRoot().DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).ToString();
        if (endOfLine.Length == 0)
        {
            endOfLine = "\n";
        }

        var line = replaced.SyntaxTree.GetText().Lines.GetLineFromPosition(replaced.SpanStart).ToString();
        var indentation = line.Substring(0, line.Length - line.TrimStart().Length);
        var lines = statement.NormalizeWhitespace("    ", endOfLine).ToFullString().Split(new[] { endOfLine }, StringSplitOptions.None);
        var text = string.Join(endOfLine, lines.Select((l, i) => i == 0 || l.Length == 0 ? l : indentation + l));
        var parsed = ParseStatement(text);
        parsed = parsed.ReplaceNodes(
            parsed.DescendantNodes().Where(n => n is QualifiedNameSyntax or MemberAccessExpressionSyntax or AliasQualifiedNameSyntax
                && n.Parent is not (QualifiedNameSyntax or MemberAccessExpressionSyntax or AliasQualifiedNameSyntax)
                && n.ToString().StartsWith("global::", StringComparison.Ordinal)),
            (_, node) => node.WithAdditionalAnnotations(Simplifier.Annotation));
        return parsed.WithTriviaFrom(replaced);
    }

    private static TypeSyntax RegistrationType()
        => ParseTypeName("global::System.Runtime.InteropServices.PosixSignalRegistration").WithAdditionalAnnotations(Simplifier.Annotation);

    private sealed class RewritePlan
    {
        public RewritePlan(
            StatementSyntax statement, TypeDeclarationSyntax type, ExpressionSyntax signal, string signalName, LambdaExpressionSyntax callback,
            IReadOnlyList<SyntaxNode> removed)
        {
            Statement = statement;
            Type = type;
            Signal = signal;
            SignalName = signalName;
            Callback = callback;
            Removed = removed;
        }

        public StatementSyntax Statement { get; }

        public TypeDeclarationSyntax Type { get; }

        public ExpressionSyntax Signal { get; }

        public string SignalName { get; }

        public LambdaExpressionSyntax Callback { get; }

        /// <summary>What only served the raw handler: the sigaction struct's statements, an [UnmanagedCallersOnly] method now inlined.</summary>
        public IReadOnlyList<SyntaxNode> Removed { get; }
    }

    /// <summary>
    /// Offered for a statement of its own, with a known signal number, that installs:
    /// <c>signal(sig, handler)</c> (own, Mono), or <c>sigaction(sig, &amp;sa, NULL)</c> whose struct is built in the
    /// same block only for this call (handler, <c>SA_RESTART</c> at most, an empty mask). The handler may be a
    /// one-parameter lambda or method group, a delegate value, <c>Marshal.GetFunctionPointerForDelegate</c> of one, or
    /// the address of an <c>[UnmanagedCallersOnly]</c> method of the same type (its body moves into the callback).
    /// The callback gets the handler's code, and its parameter becomes a local holding the signal number.
    /// </summary>
    private static RewritePlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
            || call.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax block } statement
            || statement.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type
            || type is InterfaceDeclarationSyntax
            || model.GetOperation(call, cancellationToken) is not IInvocationOperation operation)
        {
            return null;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        if (!surfaces.TryGetLibcCall(operation.TargetMethod, out var libc)
            || OperationFacts.Argument(operation, 0) is not { Syntax: ExpressionSyntax signalArgument } signalOperation
            || (SignalValues.IntegerValue(signalOperation, surfaces, cancellationToken) ?? TmdsSignal(signalOperation)) is not { } known
            || known is <= 0 or > 64)
        {
            return null;
        }

        var removed = new List<SyntaxNode>();
        IOperation? handler;
        switch (libc.Function)
        {
            case "signal" or "sigset" or "bsd_signal" when operation.Arguments.Length == 2:
                handler = OperationFacts.Argument(operation, 1);
                break;
            case "sigaction" when operation.Arguments.Length == 3:
                handler = SigactionHandler(operation, block, model, surfaces, removed, cancellationToken);
                break;
            default:
                return null;
        }

        var number = (int)known;
        var signal = Named.TryGetValue(number, out var named)
            ? ParseExpression("global::System.Runtime.InteropServices.PosixSignal." + named).WithAdditionalAnnotations(Simplifier.Annotation)
            : CastExpression(ParseTypeName("global::System.Runtime.InteropServices.PosixSignal").WithAdditionalAnnotations(Simplifier.Annotation),
                LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(number)));
        var signalName = named ?? "Signal" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The number the raw handler received, in the handler parameter's type (int, or Mono's Signum).
        var signalValue = signalArgument.WithoutTrivia();
        const string contextName = "context";
        if (handler is null || HandlerBody(handler, signalValue, contextName, type, model, removed, cancellationToken) is not { } body)
        {
            return null;
        }

        if (!HarmlessByDefault.Contains(number))
        {
            // The raw handler replaced the default action (end or stop the process): keep it replaced.
            body.Add(ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression,
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(contextName), IdentifierName("Cancel")),
                LiteralExpression(SyntaxKind.TrueLiteralExpression))));
        }

        var callback = SimpleLambdaExpression(Parameter(Identifier(contextName)))
            .WithBlock(Block(body))
            .WithExpressionBody(null)
            .WithAdditionalAnnotations(Formatter.Annotation);
        return new RewritePlan(statement, type, signal, signalName, callback, removed);
    }

    /// <summary>The code a handler runs, as statements for the callback; null when it cannot be moved there faithfully.</summary>
    private static List<StatementSyntax>? HandlerBody(
        IOperation handler, ExpressionSyntax signalValue, string contextName, TypeDeclarationSyntax type, SemanticModel model,
        List<SyntaxNode> removed, CancellationToken cancellationToken)
    {
        var value = SignalValues.SkipConversions(handler);
        if (value is IInvocationOperation { TargetMethod: { Name: "GetFunctionPointerForDelegate", ContainingType: { } marshal } } marshaled
            && marshal.ToDisplayString() == "System.Runtime.InteropServices.Marshal" && marshaled.Arguments.Length == 1)
        {
            value = SignalValues.SkipConversions(marshaled.Arguments[0].Value);
        }

        if (value is IDelegateCreationOperation creation)
        {
            value = creation.Target;
        }

        switch (value)
        {
            case IAnonymousFunctionOperation { Syntax: LambdaExpressionSyntax lambda }:
                return LambdaBody(lambda, signalValue, contextName, model, cancellationToken);
            case IMethodReferenceOperation { Method: { Parameters.Length: 1, ReturnsVoid: true, MethodKind: MethodKind.Ordinary or MethodKind.LocalFunction } method, Syntax: ExpressionSyntax group }
                when !IsUnmanagedCallersOnly(method):
                return new List<StatementSyntax> { ExpressionStatement(InvocationExpression(group.WithoutTrivia(), ArgumentList(SingletonSeparatedList(Argument(signalValue))))) };
            case IAddressOfOperation { Reference: IMethodReferenceOperation { Method: var target } }:
                return UnmanagedCallersOnlyBody(target, signalValue, contextName, type, model, removed, cancellationToken);
            case IFieldReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation
                when value.Type is INamedTypeSymbol { TypeKind: TypeKind.Delegate, DelegateInvokeMethod: { Parameters.Length: 1, ReturnsVoid: true } }
                    && value.Syntax is ExpressionSyntax held:
                // A delegate kept in a field (so the GC keeps it for the raw handler): the callback invokes it.
                return new List<StatementSyntax> { ExpressionStatement(InvocationExpression(held.WithoutTrivia(), ArgumentList(SingletonSeparatedList(Argument(signalValue))))) };
            default:
                return null;
        }
    }

    private static List<StatementSyntax>? LambdaBody(LambdaExpressionSyntax lambda, ExpressionSyntax signalValue, string contextName, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(lambda, cancellationToken).Symbol is not IMethodSymbol { Parameters.Length: 1, ReturnsVoid: true } handler
            || lambda.DescendantNodes().OfType<IdentifierNameSyntax>().Any(id => id.Identifier.ValueText == contextName)
            || lambda.Modifiers.Any(SyntaxKind.AsyncKeyword))
        {
            return null;
        }

        return MovedBody(lambda.Block, lambda.ExpressionBody, handler.Parameters[0].Name, signalValue);
    }

    /// <summary>
    /// <c>&amp;OnSignal</c> of an [UnmanagedCallersOnly] method: managed code cannot call it, so its body moves into the
    /// callback; the method goes when nothing else in its (single-file) type refers to it. Only for a static method of
    /// the same type, declared in this document, taking the signal number and returning nothing.
    /// </summary>
    private static List<StatementSyntax>? UnmanagedCallersOnlyBody(
        IMethodSymbol method, ExpressionSyntax signalValue, string contextName, TypeDeclarationSyntax type, SemanticModel model,
        List<SyntaxNode> removed, CancellationToken cancellationToken)
    {
        if (!IsUnmanagedCallersOnly(method) || method is not { IsStatic: true, ReturnsVoid: true, Parameters.Length: 1, DeclaringSyntaxReferences.Length: 1 }
            || method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration
            || declaration.SyntaxTree != type.SyntaxTree
            || !SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(type, cancellationToken), method.ContainingType)
            || (declaration.Body is null && declaration.ExpressionBody is null)
            || declaration.DescendantNodes().OfType<IdentifierNameSyntax>().Any(id => id.Identifier.ValueText == contextName))
        {
            return null;
        }

        var body = MovedBody(declaration.Body, declaration.ExpressionBody?.Expression, method.Parameters[0].Name, signalValue);
        var references = type.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Count(id => id.Identifier.ValueText == method.Name && model.GetSymbolInfo(id, cancellationToken) is var info
                && (SymbolEqualityComparer.Default.Equals(info.Symbol, method) || info.CandidateSymbols.Contains(method, SymbolEqualityComparer.Default)));
        if (method.DeclaredAccessibility == Accessibility.Private && method.ContainingType.DeclaringSyntaxReferences.Length == 1 && references == 1)
        {
            removed.Add(declaration);
        }

        return body;
    }

    private static List<StatementSyntax> MovedBody(BlockSyntax? block, ExpressionSyntax? expression, string parameter, ExpressionSyntax signalValue)
    {
        var body = new List<StatementSyntax>();
        var code = (SyntaxNode?)block ?? expression;
        if (code is not null && code.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(id => id.Identifier.ValueText == parameter))
        {
            body.Add(LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"))
                .AddVariables(VariableDeclarator(parameter).WithInitializer(EqualsValueClause(signalValue)))));
        }

        if (block is not null)
        {
            body.AddRange(block.Statements);
        }
        else if (expression is not null)
        {
            body.Add(ExpressionStatement(expression.WithoutTrivia()));
        }

        return body;
    }

    /// <summary>
    /// The handler a <c>sigaction(sig, &amp;sa, NULL)</c> installs, when <c>sa</c> is a local declared in the same block and
    /// used only to build this call: its declaration (default or <c>new T()</c>), <c>sa.field = value;</c> statements
    /// (the handler once, flags holding at most <c>SA_RESTART</c>, a mask), and <c>sigemptyset(&amp;sa.sa_mask)</c>. Those
    /// statements are added to <paramref name="removed"/>. Null for anything else: <c>SA_SIGINFO</c> (three-argument
    /// handlers), <c>SA_RESETHAND</c> (one-shot), <c>SA_NODEFER</c>, an old action asked for, a struct used elsewhere.
    /// </summary>
    private static IOperation? SigactionHandler(
        IInvocationOperation sigaction, BlockSyntax block, SemanticModel model, PosixSurfaces surfaces, List<SyntaxNode> removed, CancellationToken cancellationToken)
    {
        const long SaRestart = 0x10000000;
        var old = SignalValues.SkipConversions(OperationFacts.Argument(sigaction, 2));
        var noOld = old is IDefaultValueOperation
            || old?.ConstantValue is { HasValue: true, Value: null }
            || SignalValues.IntegerValue(old, surfaces, cancellationToken) == 0
            || old is IFieldReferenceOperation { Field: { Name: "Zero", ContainingType.SpecialType: SpecialType.System_IntPtr } };
        var local = SignalValues.SkipConversions(OperationFacts.Argument(sigaction, 1)) switch
        {
            IAddressOfOperation { Reference: ILocalReferenceOperation reference } => reference.Local,
            ILocalReferenceOperation { Local.Type.TypeKind: TypeKind.Struct } reference => reference.Local,
            _ => null,
        };
        if (!noOld || local is null
            || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax declarator
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration }
            || declaration.Parent != block
            || (declarator.Initializer is { } initializer
                && initializer.Value is not (LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression } or DefaultExpressionSyntax
                    or BaseObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0, Initializer: null }
                    or BaseObjectCreationExpressionSyntax { ArgumentList: null, Initializer: null })))
        {
            return null;
        }

        removed.Add(declaration);
        IOperation? handler = null;
        foreach (var reference in block.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (reference.Identifier.ValueText != local.Name
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(reference, cancellationToken).Symbol, local)
                || sigaction.Syntax.Span.Contains(reference.Span))
            {
                continue;
            }

            if (reference.Parent is not MemberAccessExpressionSyntax { Name: var member } access || access.Expression != reference)
            {
                return null;
            }

            // sigemptyset(&sa.sa_mask);
            if (access.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } address
                && address.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax clear } }
                && clear.Parent is ExpressionStatementSyntax { Parent: var clearParent } clearStatement && clearParent == block
                && model.GetOperation(clear, cancellationToken) is IInvocationOperation clearCall
                && surfaces.TryGetLibcCall(clearCall.TargetMethod, out var clearFunction) && clearFunction.Function == "sigemptyset")
            {
                removed.Add(clearStatement);
                continue;
            }

            if (access.Parent is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment
                || assignment.Left != access
                || assignment.Parent is not ExpressionStatementSyntax { Parent: var assignmentParent } assignmentStatement
                || assignmentParent != block
                || model.GetOperation(assignment, cancellationToken) is not ISimpleAssignmentOperation written)
            {
                return null;
            }

            var name = member.Identifier.ValueText;
            if (name is "sa_handler" or "sa_sigaction" && handler is null)
            {
                handler = written.Value;
            }
            else if (name.IndexOf("flags", StringComparison.Ordinal) >= 0)
            {
                if (SignalValues.IntegerValue(written.Value, surfaces, cancellationToken) is not { } flags || (flags & ~SaRestart) != 0)
                {
                    return null;
                }
            }
            else if (name.IndexOf("mask", StringComparison.Ordinal) < 0
                || !(written.Value.ConstantValue.HasValue || SignalValues.SkipConversions(written.Value) is IDefaultValueOperation))
            {
                return null;
            }

            removed.Add(assignmentStatement);
        }

        return handler;
    }

    /// <summary>Tmds.LibC's signal numbers are static properties (<c>LibC.SIGTERM =&gt; 15</c>); Linux's values.</summary>
    private static long? TmdsSignal(IOperation signal)
        => SignalValues.SkipConversions(signal) is IPropertyReferenceOperation { Instance: null, Property: { ContainingType: { Name: "LibC", ContainingNamespace.Name: "Linux" } } property }
            && property.ContainingType.ContainingNamespace.ContainingNamespace is { Name: "Tmds" }
            && TmdsSignals.TryGetValue(property.Name, out var number)
                ? number
                : null;

    private static readonly Dictionary<string, long> TmdsSignals = new(StringComparer.Ordinal)
    {
        ["SIGHUP"] = 1, ["SIGINT"] = 2, ["SIGQUIT"] = 3, ["SIGUSR1"] = 10, ["SIGUSR2"] = 12, ["SIGALRM"] = 14, ["SIGTERM"] = 15,
        ["SIGCHLD"] = 17, ["SIGCONT"] = 18, ["SIGTSTP"] = 20, ["SIGTTIN"] = 21, ["SIGTTOU"] = 22, ["SIGWINCH"] = 28,
    };

    private static bool IsUnmanagedCallersOnly(IMethodSymbol method)
        => method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Runtime.InteropServices.UnmanagedCallersOnlyAttribute");
}
