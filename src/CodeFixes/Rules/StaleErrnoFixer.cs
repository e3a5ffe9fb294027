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

/// <summary>PSX5001: declare the P/Invoke with SetLastError = true so errno is saved for the read.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaleErrnoFixer))]
[Shared]
public sealed class StaleErrnoFixer : CodeFixProvider
{
    public const string AddSetLastErrorKey = RuleIds.StaleErrno + ".AddSetLastError";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.StaleErrno);

    public override FixAllProvider GetFixAllProvider() => new OneKeyBatchFixer(AddSetLastErrorKey);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(StaleErrnoAnalyzer.ShapeProperty, out var shape)
                || shape != StaleErrnoAnalyzer.NoSetLastErrorShape
                || diagnostic.AdditionalLocations.Count == 0
                || diagnostic.AdditionalLocations[0] is not { IsInSource: true, SourceTree: { } tree } declaration
                || context.Document.Project.Solution.GetDocument(tree) is not { } declaringDocument)
            {
                continue;
            }

            var root = await declaringDocument.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root?.FindNode(declaration.SourceSpan) is not AttributeSyntax attribute)
            {
                continue;
            }

            var name = attribute.Parent?.Parent switch
            {
                MethodDeclarationSyntax method => method.Identifier.Text,
                LocalFunctionStatementSyntax local => local.Identifier.Text,
                _ => null,
            };
            if (name is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Add SetLastError = true to the declaration of '{name}'",
                    cancellationToken => AddSetLastErrorAsync(declaringDocument, attribute, cancellationToken),
                    AddSetLastErrorKey),
                diagnostic);
        }
    }

    private static async Task<Solution> AddSetLastErrorAsync(Document document, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var existing = attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == "SetLastError");
        if (existing is not null)
        {
            editor.ReplaceNode(existing.Expression, LiteralExpression(SyntaxKind.TrueLiteralExpression).WithTriviaFrom(existing.Expression));
        }
        else
        {
            var arguments = attribute.ArgumentList?.Arguments.Select(a => a.ToString()) ?? Enumerable.Empty<string>();
            var list = ParseAttributeArgumentList("(" + string.Join(", ", arguments.Concat(new[] { "SetLastError = true" })) + ")");
            editor.ReplaceNode(attribute, attribute.WithArgumentList(list));
        }

        return editor.GetChangedDocument().Project.Solution;
    }
}
