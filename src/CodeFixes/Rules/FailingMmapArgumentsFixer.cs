using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX3004: open the mapped descriptor O_RDWR where the open is in the method.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FailingMmapArgumentsFixer))]
[Shared]
public sealed class FailingMmapArgumentsFixer : CodeFixProvider
{
    public const string OpenReadWriteKey = RuleIds.FailingMmapArguments + ".OpenReadWrite";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.FailingMmapArguments);

    public override FixAllProvider GetFixAllProvider() => new OneKeyBatchFixer(OpenReadWriteKey);

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
            if (!diagnostic.Properties.TryGetValue(FailingMmapArgumentsAnalyzer.ShapeProperty, out var shape)
                || shape is not (FailingMmapArgumentsAnalyzer.ReadOnlyDescriptorShape or FailingMmapArgumentsAnalyzer.WriteOnlyDescriptorShape)
                || diagnostic.AdditionalLocations.Count == 0
                || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree
                || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax accessMode
                || ReadWrite(model, accessMode) is not { } replacement)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Open the descriptor with O_RDWR instead of {NameOf(accessMode)?.Identifier.Text}",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
                        editor.ReplaceNode(accessMode, replacement.WithTriviaFrom(accessMode));
                        return editor.GetChangedDocument();
                    },
                    OpenReadWriteKey),
                diagnostic);
        }
    }

    private static SimpleNameSyntax? NameOf(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax identifier => identifier,
        MemberAccessExpressionSyntax access => access.Name,
        _ => null,
    };

    /// <summary>The same reference with O_RDWR for its name, if it binds to an O_RDWR of the same type.</summary>
    private static ExpressionSyntax? ReadWrite(SemanticModel model, ExpressionSyntax accessMode)
    {
        if (NameOf(accessMode) is not { Identifier.Text: "O_RDONLY" or "O_WRONLY" } name
            || model.GetSymbolInfo(accessMode).Symbol is not { ContainingType: { } type })
        {
            return null;
        }

        var replacement = accessMode.ReplaceNode(name, IdentifierName("O_RDWR").WithTriviaFrom(name));
        var bound = model.GetSpeculativeSymbolInfo(accessMode.SpanStart, replacement, SpeculativeBindingOption.BindAsExpression).Symbol;
        return bound is { Name: "O_RDWR" } && SymbolEqualityComparer.Default.Equals(bound.ContainingType, type) ? replacement : null;
    }
}
