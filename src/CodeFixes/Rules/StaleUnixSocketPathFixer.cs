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
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX4001: insert <c>File.Delete(path);</c> before the statement that binds.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaleUnixSocketPathFixer))]
[Shared]
public sealed class StaleUnixSocketPathFixer : CodeFixProvider
{
    public const string DeleteStaleFileKey = RuleIds.StaleUnixSocketPath + ".DeleteStaleFile";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.StaleUnixSocketPath);

    // Each fix inserts a statement and the same using: the batch fixer took the usings for conflicting edits and kept
    // only two fixes per document. Fix All inserts every delete in one pass and adds the using once.
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
            if (Plan(diagnostic, root, model) is not ({ } statement, { } delete))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Delete the socket file before binding",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.InsertBefore(statement, delete.WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(PosixSyntax.EndOfLineOf(root)));
                        return await PosixSyntax.AddUsingsAsync(editor.GetChangedDocument(), cancellationToken, "System.IO").ConfigureAwait(false);
                    },
                    DeleteStaleFileKey),
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

        // Statement -> the deletes to put before it (two binds in one statement get one delete each).
        var inserts = new Dictionary<StatementSyntax, List<StatementSyntax>>();
        foreach (var diagnostic in diagnostics)
        {
            if (Plan(diagnostic, root, model) is ({ } statement, { } delete))
            {
                if (!inserts.TryGetValue(statement, out var list))
                {
                    inserts[statement] = list = new List<StatementSyntax>();
                }

                list.Add(delete.WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(PosixSyntax.EndOfLineOf(root)));
            }
        }

        if (inserts.Count == 0)
        {
            return document;
        }

        var fixedRoot = StatementLists.Rewrite(root, inserts.ToDictionary(
            p => p.Key,
            p => (Func<StatementSyntax, IEnumerable<StatementSyntax>>)(visited => p.Value.Append(visited))));
        return await PosixSyntax.AddUsingsAsync(document.WithSyntaxRoot(fixedRoot), context.CancellationToken, "System.IO").ConfigureAwait(false);
    }

    /// <summary>The statement to put the delete before, and the delete; null when a precondition of the fix fails.</summary>
    private static (StatementSyntax Statement, StatementSyntax Delete)? Plan(Diagnostic diagnostic, SyntaxNode root, SemanticModel model)
    {
        if (diagnostic.AdditionalLocations.Count == 0
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax path
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax bind
            || bind.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
            || !CanRepeat(path)
            || !MeansTheSameAt(path, statement.SpanStart, model))
        {
            return null;
        }

        var delete = ExpressionStatement(
                InvocationExpression(
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ParseTypeName("global::System.IO.File"), IdentifierName("Delete"))
                        .WithAdditionalAnnotations(Simplifier.Annotation),
                    ArgumentList(SingletonSeparatedList(Argument(path.WithoutTrivia())))))
            .WithAdditionalAnnotations(Formatter.Annotation);
        return (statement, delete);
    }

    /// <summary>Names and member chains over names: evaluating them twice has no side effect.</summary>
    private static bool CanRepeat(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax or IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access => CanRepeat(access.Expression),
        ParenthesizedExpressionSyntax parenthesized => CanRepeat(parenthesized.Expression),
        _ => false,
    };

    /// <summary>The path, moved to the bind statement, still names what it named where the address was built.</summary>
    private static bool MeansTheSameAt(ExpressionSyntax path, int position, SemanticModel model)
    {
        if (path is LiteralExpressionSyntax)
        {
            return true;
        }

        var original = model.GetSymbolInfo(path).Symbol;
        var moved = model.GetSpeculativeSymbolInfo(position, path, SpeculativeBindingOption.BindAsExpression).Symbol;
        return original is not null && SymbolEqualityComparer.Default.Equals(original, moved)
               && model.GetTypeInfo(path).Type?.SpecialType == SpecialType.System_String;
    }
}
