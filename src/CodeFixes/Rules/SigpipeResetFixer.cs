using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using SafePosix.Analyzers;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX2004: remove the statement that sets SIGPIPE back to default, when nothing reads its result.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SigpipeResetFixer))]
[Shared]
public sealed class SigpipeResetFixer : CodeFixProvider
{
    public const string RemoveResetKey = RuleIds.SigpipeReset + ".RemoveReset";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.SigpipeReset);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(
        async (context, document, diagnostics) => await RemoveAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (RemovableStatement(root, diagnostic) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Remove the call that sets SIGPIPE back to default",
                        cancellationToken => RemoveAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        RemoveResetKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> RemoveAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in diagnostics)
        {
            if (RemovableStatement(editor.OriginalRoot, diagnostic) is { } statement)
            {
                editor.RemoveNode(statement, SyntaxRemoveOptions.KeepUnbalancedDirectives | SyntaxRemoveOptions.AddElasticMarker);
            }
        }

        return editor.GetChangedDocument();
    }

    /// <summary>The call's statement, when the call is the whole statement and the statement can go without breaking its parent.</summary>
    private static SyntaxNode? RemovableStatement(SyntaxNode root, Diagnostic diagnostic)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call)
        {
            return null;
        }

        SyntaxNode value = call;
        while (value.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            value = value.Parent;
        }

        if (value.Parent is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard)
        {
            value = discard;
        }

        return value.Parent is ExpressionStatementSyntax statement && statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax
            ? (statement.Parent is GlobalStatementSyntax global ? global : statement)
            : null;
    }
}
