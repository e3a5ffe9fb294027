using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SafePosix.Analyzers.Tests.Meta;

namespace SafePosix.Analyzers.Tests.Fuzz;

/// <summary>
/// The C# sources the fuzzer starts from, harvested when the test runs: every string the test files build as test
/// source (raw strings, constants they concatenate, interpolations filled from each [InlineData] row) and every C#
/// example of the rule pages, with markup removed. New rule tests join the corpus without any list to maintain.
/// </summary>
public static class FuzzCorpus
{
    private static readonly Regex Markup = new(@"\{\|[^:|{}\s]+:|\|\}|\[\||\|\]", RegexOptions.CultureInvariant);
    private static readonly Regex CSharpBlock = new(@"```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    public static IReadOnlyList<string> Load()
    {
        var sources = new SortedSet<string>(StringComparer.Ordinal);
        var testsRoot = RuleCatalog.PathInRepository("tests", "SafePosix.Analyzers.Tests");
        foreach (var file in Directory.GetFiles(testsRoot, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                         && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                     .OrderBy(f => f, StringComparer.Ordinal))
        {
            foreach (var source in FromTestFile(File.ReadAllText(file)))
            {
                sources.Add(source);
            }
        }

        foreach (var page in Directory.GetFiles(RuleCatalog.PathInRepository("docs", "rules"), "*.md").OrderBy(f => f, StringComparer.Ordinal))
        {
            foreach (Match match in CSharpBlock.Matches(File.ReadAllText(page).Replace("\r\n", "\n", StringComparison.Ordinal)))
            {
                sources.Add(match.Groups["code"].Value);
            }
        }

        return sources.ToList();
    }

    public static IEnumerable<string> FromTestFile(string text)
    {
        var root = CSharpSyntaxTree.ParseText(text).GetRoot();
        var constants = root.DescendantNodes().OfType<VariableDeclaratorSyntax>()
            .Where(v => v.Initializer is not null && v.Parent?.Parent is FieldDeclarationSyntax or LocalDeclarationStatementSyntax)
            .GroupBy(v => v.Identifier.ValueText)
            .ToDictionary(g => g.Key, g => g.First().Initializer!.Value, StringComparer.Ordinal);

        foreach (var expression in root.DescendantNodes().OfType<ExpressionSyntax>().Where(IsOutermostString))
        {
            foreach (var row in Rows(expression))
            {
                var value = Evaluate(expression, constants, row, depth: 0);
                if (value is not null && LooksLikeCode(value))
                {
                    yield return Markup.Replace(value, string.Empty);
                }
            }
        }
    }

    private static bool IsOutermostString(ExpressionSyntax expression)
        => expression.Kind() is SyntaxKind.StringLiteralExpression or SyntaxKind.InterpolatedStringExpression or SyntaxKind.AddExpression
            && expression.Parent is not BinaryExpressionSyntax and not ParenthesizedExpressionSyntax and not InterpolationSyntax;

    private static bool LooksLikeCode(string value) => value.Length >= 30 && value.Contains('(', StringComparison.Ordinal)
        && (value.Contains("class ", StringComparison.Ordinal) || value.Contains("static ", StringComparison.Ordinal) || value.Contains(';', StringComparison.Ordinal));

    /// <summary>Each [InlineData] row of the enclosing method as parameter name to string value; one empty row otherwise.</summary>
    private static IEnumerable<IReadOnlyDictionary<string, string>> Rows(SyntaxNode node)
    {
        var method = node.FirstAncestorOrSelf<MethodDeclarationSyntax>();
        var rows = new List<IReadOnlyDictionary<string, string>>();
        if (method is not null)
        {
            var parameters = method.ParameterList.Parameters.Select(p => p.Identifier.ValueText).ToList();
            foreach (var attribute in method.AttributeLists.SelectMany(l => l.Attributes).Where(a => a.Name.ToString() is "InlineData"))
            {
                var arguments = attribute.ArgumentList?.Arguments ?? default;
                var row = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < Math.Min(arguments.Count, parameters.Count); i++)
                {
                    if (arguments[i].Expression is LiteralExpressionSyntax literal)
                    {
                        row[parameters[i]] = literal.Token.ValueText;
                    }
                }

                rows.Add(row);
            }
        }

        if (rows.Count == 0)
        {
            rows.Add(new Dictionary<string, string>(StringComparer.Ordinal));
        }

        return rows;
    }

    private static string? Evaluate(ExpressionSyntax expression, IReadOnlyDictionary<string, ExpressionSyntax> constants, IReadOnlyDictionary<string, string> row, int depth)
    {
        if (depth > 8)
        {
            return null;
        }

        switch (expression)
        {
            case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression):
                return literal.Token.ValueText;
            case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression):
                var left = Evaluate(binary.Left, constants, row, depth + 1);
                var right = left is null ? null : Evaluate(binary.Right, constants, row, depth + 1);
                return right is null ? null : left + right;
            case ParenthesizedExpressionSyntax parenthesized:
                return Evaluate(parenthesized.Expression, constants, row, depth + 1);
            case IdentifierNameSyntax identifier:
                return row.TryGetValue(identifier.Identifier.ValueText, out var value) ? value
                    : constants.TryGetValue(identifier.Identifier.ValueText, out var constant) ? Evaluate(constant, constants, row, depth + 1)
                    : null;
            case InterpolatedStringExpressionSyntax interpolated:
                var parts = new List<string>();
                foreach (var content in interpolated.Contents)
                {
                    var part = content switch
                    {
                        InterpolatedStringTextSyntax text => text.TextToken.ValueText,
                        InterpolationSyntax hole => Evaluate(hole.Expression, constants, row, depth + 1),
                        _ => null,
                    };
                    if (part is null)
                    {
                        return null;
                    }

                    parts.Add(part);
                }

                return string.Concat(parts);
            default:
                return null;
        }
    }
}
