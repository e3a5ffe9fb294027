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
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX5002: turn a discarded call into one whose -1 throws with errno.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(IgnoredFailureFixer))]
[Shared]
public sealed class IgnoredFailureFixer : CodeFixProvider
{
    public const string ThrowOnFailureKey = RuleIds.IgnoredFailure + ".ThrowOnFailure";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.IgnoredFailure);

    // The batch fixer merges per-diagnostic documents, and each one adds the same using directives: the overlapping
    // edits conflict and Fix All needs a second pass. One editor per document applies every check, then adds the usings once.
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
            if (FixableStatement(root, model, diagnostic, context.CancellationToken) is not { } target)
            {
                continue;
            }

            var document = context.Document;
            var name = model.GetSymbolInfo(target.Invocation, context.CancellationToken).Symbol?.Name ?? "the call";
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Throw with errno when '{name}' returns -1",
                    cancellationToken => ApplyAsync(document, model, new[] { target }, cancellationToken),
                    ThrowOnFailureKey),
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

        var targets = diagnostics
            .Select(diagnostic => FixableStatement(root, model, diagnostic, context.CancellationToken))
            .OfType<(ExpressionStatementSyntax Statement, InvocationExpressionSyntax Invocation)>()
            .Distinct()
            .ToList();
        return targets.Count == 0 ? document : await ApplyAsync(document, model, targets, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statement to replace, when every precondition of the fix holds for the diagnostic.</summary>
    private static (ExpressionStatementSyntax Statement, InvocationExpressionSyntax Invocation)? FixableStatement(
        SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        // In a method that forks, the call may run in the child, where throwing returns into the parent's code.
        if (!diagnostic.Properties.TryGetValue(IgnoredFailureAnalyzer.ShapeProperty, out var shape)
            || shape != IgnoredFailureAnalyzer.DiscardedShape
            || diagnostic.Properties.ContainsKey(IgnoredFailureAnalyzer.ForksProperty)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
            || invocation.Parent is not (ExpressionStatementSyntax or AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax })
            || invocation.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
            || model.GetTypeInfo(invocation, cancellationToken).Type is not { } resultType
            || !ComparesWithMinusOne(resultType))
        {
            return null;
        }

        return (statement, invocation);
    }

    private static async Task<Document> ApplyAsync(
        Document document, SemanticModel model, IEnumerable<(ExpressionStatementSyntax Statement, InvocationExpressionSyntax Invocation)> targets, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // One ReplaceNodes pass: the targets are separate statements, and Fix All may bring a thousand of them, where
        // an editor's change-by-change replay grows with the square of their number.
        var generator = SyntaxGenerator.GetGenerator(document);
        var minusOne = PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
        var checks = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var (statement, invocation) in targets)
        {
            checks[statement] = PosixSyntax.ThrowIfEqual(invocation.WithoutTrivia(), minusOne, model.Compilation, generator).WithTriviaFrom(statement);
        }

        // A call nested in another target's arguments (inside a lambda) waits for the next pass: replacing the outer
        // statement rebuilds it from the original syntax.
        var outermost = checks.Keys.Where(statement => !statement.Ancestors().Any(checks.ContainsKey)).ToList();
        var fixedRoot = root.ReplaceNodes(outermost, (original, _) => checks[original]);
        return await PosixSyntax.AddUsingsAsync(document.WithSyntaxRoot(fixedRoot), cancellationToken, "System.ComponentModel", "System.Runtime.InteropServices").ConfigureAwait(false);
    }

    /// <summary>Signed integers compare with -1 directly; the bindings' typedef structs through their == operator.</summary>
    private static bool ComparesWithMinusOne(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_IntPtr
            || (type.TypeKind == TypeKind.Struct && type.GetMembers("op_Equality").Any()
                && type.GetMembers("op_Implicit").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 1 && m.Parameters[0].Type.SpecialType == SpecialType.System_Int32 && SymbolEqualityComparer.Default.Equals(m.ReturnType, type)));
}
