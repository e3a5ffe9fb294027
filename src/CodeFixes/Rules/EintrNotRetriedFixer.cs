using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
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
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX4004: wrap the call in the standard retry loop. <c>int rc = poll(...);</c> becomes
/// <c>int rc; do { rc = poll(...); } while (rc == -1 &amp;&amp; Marshal.GetLastPInvokeError() == EINTR);</c> (Mono:
/// <c>while (UnixMarshal.ShouldRetrySyscall(rc))</c>). Only for a result stored in a local by its own statement.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EintrNotRetriedFixer))]
[Shared]
public sealed class EintrNotRetriedFixer : CodeFixProvider
{
    public const string RetryOnEintrKey = RuleIds.EintrNotRetried + ".RetryOnEintr";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.EintrNotRetried);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan(diagnostic, root, model, context.CancellationToken) is not ({ } statement, { } statements, var surface))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Retry the call while it fails with EINTR",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.InsertBefore(statement, statements.Select((s, i) => (SyntaxNode)(i == 0 ? s.WithLeadingTrivia(statement.GetLeadingTrivia()) : s)
                            .WithAdditionalAnnotations(Formatter.Annotation)));
                        editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
                        var document = editor.GetChangedDocument();
                        return surface == PosixSurface.MonoNative
                            ? await PosixSyntax.AddUsingsAsync(document, cancellationToken, "Mono.Unix").ConfigureAwait(false)
                            : await PosixSyntax.AddUsingsAsync(document, cancellationToken, "System.Runtime.InteropServices").ConfigureAwait(false);
                    },
                    RetryOnEintrKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var changes = new Dictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>>();
        var usings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var diagnostic in diagnostics)
        {
            if (Plan(diagnostic, root, model, context.CancellationToken) is ({ } statement, { } statements, var surface)
                && !changes.ContainsKey(statement))
            {
                var loop = statements.Select((s, i) => (i == 0 ? s.WithLeadingTrivia(statement.GetLeadingTrivia()) : s).WithAdditionalAnnotations(Formatter.Annotation)).ToArray();
                changes[statement] = _ => loop;
                usings.Add(surface == PosixSurface.MonoNative ? "Mono.Unix" : "System.Runtime.InteropServices");
            }
        }

        return changes.Count == 0
            ? document
            : await PosixSyntax.AddUsingsAsync(document.WithSyntaxRoot(StatementLists.Rewrite(root, changes)), context.CancellationToken, usings.ToArray()).ConfigureAwait(false);
    }

    /// <summary>The statement holding the call, the statements that replace it, and the call's surface; null when no fix applies.</summary>
    private static (StatementSyntax Statement, StatementSyntax[] Statements, PosixSurface Surface)? Plan(
        Diagnostic diagnostic, SyntaxNode root, SemanticModel model, System.Threading.CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(EintrNotRetriedAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
            || call.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
            || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol method
            || Rewrite(statement, call, method, surface, model) is not { } statements)
        {
            return null;
        }

        return (statement, statements, surface);
    }

    private static StatementSyntax[]? Rewrite(StatementSyntax statement, InvocationExpressionSyntax call, IMethodSymbol method, PosixSurface surface, SemanticModel model)
    {
        IdentifierNameSyntax result;
        StatementSyntax? declaration = null;
        switch (statement)
        {
            case LocalDeclarationStatementSyntax { Declaration: { Variables.Count: 1 } declared } local
                when declared.Variables[0].Initializer?.Value == call && !local.IsConst && local.UsingKeyword.IsKind(SyntaxKind.None)
                     && model.GetDeclaredSymbol(declared.Variables[0]) is ILocalSymbol symbol:
                result = IdentifierName(declared.Variables[0].Identifier.WithoutTrivia());
                var type = declared.Type.IsVar
                    ? ParseTypeName(symbol.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation)
                    : declared.Type.WithoutTrivia();
                declaration = LocalDeclarationStatement(VariableDeclaration(type, SingletonSeparatedList(VariableDeclarator(result.Identifier))));
                break;
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax target } assignment }
                when assignment.Right == call && model.GetSymbolInfo(target).Symbol is ILocalSymbol:
                result = target.WithoutTrivia();
                break;
            default:
                return null;
        }

        var assign = ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, result, call.WithoutTrivia()));
        if (RetryCondition(result, method, surface, model) is not { } condition)
        {
            return null;
        }

        var loop = DoStatement(Block(assign), condition);
        return declaration is null ? new StatementSyntax[] { loop } : new[] { declaration, loop };
    }

    private static ExpressionSyntax? RetryCondition(IdentifierNameSyntax result, IMethodSymbol method, PosixSurface surface, SemanticModel model)
    {
        if (surface == PosixSurface.MonoNative)
        {
            return model.Compilation.GetTypeByMetadataName("Mono.Unix.UnixMarshal") is null
                ? null
                : InvocationExpression(StaticMember("global::Mono.Unix.UnixMarshal", "ShouldRetrySyscall"), ArgumentList(SingletonSeparatedList(Argument(result))));
        }

        var marshal = model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        var reader = marshal?.GetMembers("GetLastPInvokeError").Any() == true ? "GetLastPInvokeError" : "GetLastWin32Error";
        var errno = InvocationExpression(StaticMember("global::System.Runtime.InteropServices.Marshal", reader));
        ExpressionSyntax eintr;
        if (surface == PosixSurface.Tmds && !method.ContainingType.GetMembers("EINTR").IsEmpty)
        {
            eintr = StaticMember("global::Tmds.Linux.LibC", "EINTR");
        }
        else if (method.ContainingType.GetMembers("EINTR").OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue) is not null)
        {
            eintr = StaticMember(method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), "EINTR");
        }
        else
        {
            eintr = LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(4)).WithTrailingTrivia(Space, Comment("/* EINTR */"));
        }

        var failed = BinaryExpression(SyntaxKind.EqualsExpression, result, PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1))));
        return BinaryExpression(SyntaxKind.LogicalAndExpression, failed, BinaryExpression(SyntaxKind.EqualsExpression, errno, eintr));
    }

    private static ExpressionSyntax StaticMember(string qualifiedType, string member)
        => MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ParseTypeName(qualifiedType), IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation);
}
