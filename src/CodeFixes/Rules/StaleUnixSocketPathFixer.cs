using System.Collections.Immutable;
using System.Composition;
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

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            if (diagnostic.AdditionalLocations.Count == 0
                || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax path
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax bind
                || bind.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
                || !CanRepeat(path)
                || !MeansTheSameAt(path, statement.SpanStart, model))
            {
                continue;
            }

            var delete = ExpressionStatement(
                    InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ParseTypeName("global::System.IO.File"), IdentifierName("Delete"))
                            .WithAdditionalAnnotations(Simplifier.Annotation),
                        ArgumentList(SingletonSeparatedList(Argument(path.WithoutTrivia())))))
                .WithAdditionalAnnotations(Formatter.Annotation);

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Delete the socket file before binding",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.InsertBefore(statement, delete.WithLeadingTrivia(statement.GetLeadingTrivia()));
                        return await PosixSyntax.AddUsingsAsync(editor.GetChangedDocument(), cancellationToken, "System.IO").ConfigureAwait(false);
                    },
                    DeleteStaleFileKey),
                diagnostic);
        }
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
