using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX2006: take MSG_NOSIGNAL out of the SocketFlags value.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NoSignalSocketFlagsFixer))]
[Shared]
public sealed class NoSignalSocketFlagsFixer : CodeFixProvider
{
    public const string RemoveFlagKey = RuleIds.NoSignalSocketFlags + ".RemoveFlag";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.NoSignalSocketFlags);

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
            if (Edit(root, diagnostic) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Remove MSG_NOSIGNAL from the SocketFlags",
                        cancellationToken => RemoveAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        RemoveFlagKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> RemoveAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in diagnostics)
        {
            if (Edit(editor.OriginalRoot, diagnostic) is { } edit)
            {
                editor.ReplaceNode(edit.Old, edit.New);
            }
        }

        return editor.GetChangedDocument();
    }

    /// <summary>
    /// The flag is the whole cast: drop it from an enclosing or of SocketFlags, else write SocketFlags.None. The flag
    /// is one operand of an or inside the cast: keep the other operand.
    /// </summary>
    private static (SyntaxNode Old, SyntaxNode New)? Edit(SyntaxNode root, Diagnostic diagnostic)
    {
        if (diagnostic.AdditionalLocations.Count == 0
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax cast
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax flag)
        {
            return null;
        }

        var removed = Outermost(flag);
        if (removed.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } or)
        {
            var other = or.Left == removed ? or.Right : or.Left;
            return (or, other.WithTriviaFrom(or));
        }

        if (flag.Span == cast.Span)
        {
            var none = ParseExpression("global::System.Net.Sockets.SocketFlags.None")
                .WithTriviaFrom(removed)
                .WithAdditionalAnnotations(Simplifier.Annotation);
            return (removed, none);
        }

        return null;
    }

    private static SyntaxNode Outermost(SyntaxNode node)
    {
        while (node.Parent is ParenthesizedExpressionSyntax)
        {
            node = node.Parent;
        }

        return node;
    }
}
