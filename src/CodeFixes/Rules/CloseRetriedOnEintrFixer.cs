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
using SafePosix.Analyzers;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX4006: unwrap the two canonical retry loops into one close.
/// <c>do { r = close(fd); } while (COND);</c> becomes <c>r = close(fd); if (COND) { r = 0; }</c>: the same test now
/// turns EINTR into success. <c>while (close(fd) == -1 &amp;&amp; errno == EINTR) { }</c> becomes <c>close(fd);</c>.
/// Any other loop shape is left to the user.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CloseRetriedOnEintrFixer))]
[Shared]
public sealed class CloseRetriedOnEintrFixer : CodeFixProvider
{
    public const string CloseOnceKey = RuleIds.CloseRetriedOnEintr + ".CloseOnce";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.CloseRetriedOnEintr);

    // Each fix turns one loop into one or two statements: Fix All rewrites every loop in one walk over the document
    // (the batch fixer builds and diffs a document per diagnostic).
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan(diagnostic, root) is not ({ } loop, { } replacement))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Call close once and treat EINTR as success",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.InsertBefore(loop, replacement);
                        editor.RemoveNode(loop, SyntaxRemoveOptions.KeepNoTrivia);
                        return editor.GetChangedDocument();
                    },
                    CloseOnceKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var changes = new Dictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>>();
        foreach (var diagnostic in diagnostics)
        {
            if (Plan(diagnostic, root) is ({ } loop, { } replacement))
            {
                // The loop holds no other fixed loop (its body is one statement around the close), so the original's
                // replacement is the visited one's.
                changes[loop] = _ => replacement;
            }
        }

        return changes.Count == 0 ? document : document.WithSyntaxRoot(StatementLists.Rewrite(root, changes));
    }

    /// <summary>The retry loop around the reported close and the statements that replace it; null for any other shape.</summary>
    private static (StatementSyntax Loop, List<StatementSyntax> Replacement)? Plan(Diagnostic diagnostic, SyntaxNode root)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax close
            || close.FirstAncestorOrSelf<StatementSyntax>(s => s is DoStatementSyntax or WhileStatementSyntax or ForStatementSyntax) is not { } loop
            || loop.Parent is not (BlockSyntax or SwitchSectionSyntax)
            || Unwrapped(loop, close) is not { } replacement)
        {
            return null;
        }

        var statements = replacement.Select((s, i) => (i == 0 ? s.WithLeadingTrivia(loop.GetLeadingTrivia()) : s)
            .WithAdditionalAnnotations(Formatter.Annotation)).ToList();

        // A lone close takes the loop's line end, so a blank line after the loop stays one (an if block ending the
        // replacement gets its line end from the formatter).
        if (statements[statements.Count - 1] is ExpressionStatementSyntax last)
        {
            statements[statements.Count - 1] = last.WithTrailingTrivia(loop.GetTrailingTrivia());
        }
        return (loop, statements);
    }

    private static StatementSyntax[]? Unwrapped(StatementSyntax loop, InvocationExpressionSyntax close)
    {
        switch (loop)
        {
            case DoStatementSyntax { Statement: var body, Condition: var condition }
                when SingleStatement(body) is ExpressionStatementSyntax single && single.Expression.Contains(close) && !condition.Contains(close):
                if (single.Expression == close)
                {
                    return new StatementSyntax[] { single.WithoutTrivia() };
                }

                if (single.Expression is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax result, Right: var right }
                    && Unparenthesized(right) == close)
                {
                    var success = ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, result.WithoutTrivia(), LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))));
                    return new StatementSyntax[] { single.WithoutTrivia(), IfStatement(condition.WithoutTrivia(), Block(success)) };
                }

                return null;
            case WhileStatementSyntax { Statement: var body, Condition: var condition }
                when IsEmpty(body) && condition.Contains(close):
                return new StatementSyntax[] { ExpressionStatement(close.WithoutTrivia()) };
            default:
                return null;
        }
    }

    private static StatementSyntax? SingleStatement(StatementSyntax body) => body switch
    {
        BlockSyntax { Statements.Count: 1 } block => block.Statements[0],
        BlockSyntax => null,
        _ => body,
    };

    private static bool IsEmpty(StatementSyntax body) => body is EmptyStatementSyntax or BlockSyntax { Statements.Count: 0 };

    private static ExpressionSyntax Unparenthesized(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        return expression;
    }
}
