using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX3003: give munmap the length the mapping was made with.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MismatchedMunmapFixer))]
[Shared]
public sealed class MismatchedMunmapFixer : CodeFixProvider
{
    public const string UseMappingLengthKey = RuleIds.MismatchedMunmap + ".UseMappingLength";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.MismatchedMunmap);

    public override FixAllProvider GetFixAllProvider() => new OneKeyBatchFixer(UseMappingLengthKey);

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
            if (!diagnostic.Properties.TryGetValue(MismatchedMunmapAnalyzer.ShapeProperty, out var shape)
                || shape is not (MismatchedMunmapAnalyzer.ZeroLengthShape or MismatchedMunmapAnalyzer.LengthMismatchShape)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node)
            {
                continue;
            }

            var length = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
            if (length is null
                || ArgumentOf(model.GetOperation(length, context.CancellationToken)) is not { Parameter.Type: { } parameterType }
                || Replacement(model, length, parameterType, diagnostic.Properties) is not { } replacement)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Pass the mapping's length '{replacement.Shown}' to munmap",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
                        editor.ReplaceNode(length, replacement.Expression.WithTriviaFrom(length));
                        return editor.GetChangedDocument();
                    },
                    UseMappingLengthKey),
                diagnostic);
        }
    }

    private static IArgumentOperation? ArgumentOf(IOperation? operation)
    {
        var parent = operation?.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent as IArgumentOperation;
    }

    private static (ExpressionSyntax Expression, string Shown)? Replacement(
        SemanticModel model, ExpressionSyntax length, ITypeSymbol parameterType, ImmutableDictionary<string, string?> properties)
    {
        properties.TryGetValue(MismatchedMunmapAnalyzer.LengthValueProperty, out var valueText);
        long? value = long.TryParse(valueText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

        if (properties.TryGetValue(MismatchedMunmapAnalyzer.LengthTextProperty, out var text) && text is not null
            && Named(model, length, text, properties, value) is { } named
            && Converted(model, length.SpanStart, named, parameterType) is { } convertedName)
        {
            return (convertedName, text);
        }

        if (value is { } known && known > 0)
        {
            var literal = known <= int.MaxValue
                ? LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal((int)known))
                : LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(known));
            if (Converted(model, length.SpanStart, literal, parameterType) is { } convertedLiteral)
            {
                return (convertedLiteral, known.ToString(CultureInfo.InvariantCulture));
            }
        }

        return null;
    }

    /// <summary>The analyzer's name for the length, if it means the same thing at the munmap: binds to the same symbol, or is the same constant.</summary>
    private static ExpressionSyntax? Named(SemanticModel model, ExpressionSyntax length, string text, ImmutableDictionary<string, string?> properties, long? value)
    {
        var expression = ParseExpression(text);
        if (expression.ContainsDiagnostics)
        {
            return null;
        }

        var position = length.SpanStart;
        var symbol = model.GetSpeculativeSymbolInfo(position, expression, SpeculativeBindingOption.BindAsExpression).Symbol;
        if (properties.TryGetValue(MismatchedMunmapAnalyzer.LengthSymbolProperty, out var expected) && expected is not null)
        {
            if (symbol is null || symbol.ToDisplayString() != expected)
            {
                return null;
            }

            // An instance field cannot be read from a static member.
            if (symbol is IFieldSymbol { IsStatic: false } && model.GetEnclosingSymbol(position) is { IsStatic: true })
            {
                return null;
            }

            return expression;
        }

        // A constant: a literal, or a named constant that still has the mapping's value here.
        if (expression is LiteralExpressionSyntax)
        {
            return expression;
        }

        return symbol is IFieldSymbol { HasConstantValue: true } field && value is { } known
            && System.Convert.ToInt64(field.ConstantValue, CultureInfo.InvariantCulture) == known
            || symbol is ILocalSymbol { HasConstantValue: true } local && value is { } knownLocal
            && System.Convert.ToInt64(local.ConstantValue, CultureInfo.InvariantCulture) == knownLocal
                ? expression
                : null;
    }

    private static ExpressionSyntax? Converted(SemanticModel model, int position, ExpressionSyntax expression, ITypeSymbol parameterType)
    {
        var conversion = model.ClassifyConversion(position, expression, parameterType);
        if (conversion.IsImplicit)
        {
            return expression;
        }

        if (!conversion.Exists)
        {
            return null;
        }

        var type = ParseTypeName(parameterType.ToMinimalDisplayString(model, position));
        return CastExpression(type, expression is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax ? expression : ParenthesizedExpression(expression));
    }
}
