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
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
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
        public RewritePlan(StatementSyntax statement, TypeDeclarationSyntax type, ExpressionSyntax signal, string signalName, LambdaExpressionSyntax callback)
        {
            Statement = statement;
            Type = type;
            Signal = signal;
            SignalName = signalName;
            Callback = callback;
        }

        public StatementSyntax Statement { get; }

        public TypeDeclarationSyntax Type { get; }

        public ExpressionSyntax Signal { get; }

        public string SignalName { get; }

        public LambdaExpressionSyntax Callback { get; }
    }

    /// <summary>
    /// Offered for <c>signal(sig, handler);</c> (own, Mono) whose result is unused, with a known signal number and a
    /// handler that is a one-parameter lambda or a method group: the callback gets the handler's code, and its
    /// parameter becomes a local holding the signal number the raw handler would have been given.
    /// </summary>
    private static RewritePlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
            || call.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax } statement
            || statement.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type
            || type is InterfaceDeclarationSyntax
            || call.ArgumentList.Arguments.Count != 2
            || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { Name: "signal" or "sigset" or "bsd_signal" } method)
        {
            return null;
        }

        var signalArgument = call.ArgumentList.Arguments.First(a => a.NameColon is null ? a == call.ArgumentList.Arguments[0] : a.NameColon.Name.Identifier.ValueText == method.Parameters[0].Name);
        var handlerArgument = call.ArgumentList.Arguments.First(a => a != signalArgument);
        if (model.GetConstantValue(signalArgument.Expression, cancellationToken) is not { HasValue: true, Value: int number } || number <= 0)
        {
            return null;
        }

        var signal = Named.TryGetValue(number, out var named)
            ? ParseExpression("global::System.Runtime.InteropServices.PosixSignal." + named).WithAdditionalAnnotations(Simplifier.Annotation)
            : CastExpression(ParseTypeName("global::System.Runtime.InteropServices.PosixSignal").WithAdditionalAnnotations(Simplifier.Annotation),
                LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(number)));
        var signalName = named ?? "Signal" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The number the raw handler received, in the handler parameter's type (int, or Mono's Signum).
        var signalValue = signalArgument.Expression.WithoutTrivia();
        var body = new List<StatementSyntax>();
        var contextName = "context";
        switch (handlerArgument.Expression)
        {
            case LambdaExpressionSyntax lambda when model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol { Parameters.Length: 1, ReturnsVoid: true } handler:
                if (lambda.DescendantNodes().OfType<IdentifierNameSyntax>().Any(id => id.Identifier.ValueText == contextName)
                    || lambda.Modifiers.Any(SyntaxKind.AsyncKeyword))
                {
                    return null;
                }

                var parameter = handler.Parameters[0];
                if (lambda.DescendantNodes().OfType<IdentifierNameSyntax>().Any(id => id.Identifier.ValueText == parameter.Name))
                {
                    body.Add(LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"))
                        .AddVariables(VariableDeclarator(parameter.Name).WithInitializer(EqualsValueClause(signalValue)))));
                }

                if (lambda.Block is { } block)
                {
                    body.AddRange(block.Statements);
                }
                else if (lambda.ExpressionBody is { } expression)
                {
                    body.Add(ExpressionStatement(expression.WithoutTrivia()));
                }

                break;
            case var group when model.GetSymbolInfo(group, cancellationToken).Symbol is IMethodSymbol { Parameters.Length: 1, ReturnsVoid: true, MethodKind: MethodKind.Ordinary or MethodKind.LocalFunction }
                && group is IdentifierNameSyntax or MemberAccessExpressionSyntax:
                body.Add(ExpressionStatement(InvocationExpression(group.WithoutTrivia(), ArgumentList(SingletonSeparatedList(Argument(signalValue))))));
                break;
            default:
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
        return new RewritePlan(statement, type, signal, signalName, callback);
    }
}
