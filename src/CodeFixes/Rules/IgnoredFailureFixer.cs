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

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        var generator = SyntaxGenerator.GetGenerator(context.Document);
        foreach (var diagnostic in context.Diagnostics)
        {
            // In a method that forks, the call may run in the child, where throwing returns into the parent's code.
            if (!diagnostic.Properties.TryGetValue(IgnoredFailureAnalyzer.ShapeProperty, out var shape)
                || shape != IgnoredFailureAnalyzer.DiscardedShape
                || diagnostic.Properties.ContainsKey(IgnoredFailureAnalyzer.ForksProperty)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
                || invocation.Parent is not (ExpressionStatementSyntax or AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax })
                || invocation.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
                || model.GetTypeInfo(invocation, context.CancellationToken).Type is not { } resultType
                || !ComparesWithMinusOne(resultType))
            {
                continue;
            }

            var document = context.Document;
            var name = model.GetSymbolInfo(invocation, context.CancellationToken).Symbol?.Name ?? "the call";
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Throw with errno when '{name}' returns -1",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
                        var minusOne = PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
                        var check = PosixSyntax.ThrowIfEqual(invocation.WithoutTrivia(), minusOne, model.Compilation, generator).WithTriviaFrom(statement);
                        editor.ReplaceNode(statement, check);
                        return await PosixSyntax.AddUsingsAsync(editor.GetChangedDocument(), cancellationToken, "System.ComponentModel", "System.Runtime.InteropServices").ConfigureAwait(false);
                    },
                    ThrowOnFailureKey),
                diagnostic);
        }
    }

    /// <summary>Signed integers compare with -1 directly; the bindings' typedef structs through their == operator.</summary>
    private static bool ComparesWithMinusOne(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_IntPtr
            || (type.TypeKind == TypeKind.Struct && type.GetMembers("op_Equality").Any()
                && type.GetMembers("op_Implicit").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 1 && m.Parameters[0].Type.SpecialType == SpecialType.System_Int32 && SymbolEqualityComparer.Default.Equals(m.ReturnType, type)));
}
