using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SafePosix.Analyzers.Tests.Fuzz;

/// <summary>Breaks a valid source the ways editing does: each mutation returns its name and the new text.</summary>
public sealed class Mutator
{
    private static readonly string[] Operators = { "==", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "=", "is", "!" };

    private readonly Random _random;

    public Mutator(Random random) => _random = random;

    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "truncate", "delete-token", "delete-line", "swap-tokens", "unbalance-brace", "swap-operator", "move-statement", "duplicate-statement",
    };

    public (string Name, string Text) Mutate(string source)
    {
        var name = Names[_random.Next(Names.Count)];
        var root = CSharpSyntaxTree.ParseText(source, Verification.TestReferences.ParseOptions).GetRoot();
        var tokens = root.DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var text = name switch
        {
            "truncate" => source.Substring(0, _random.Next(source.Length + 1)),
            "delete-token" => tokens.Count == 0 ? source : Replace(source, Pick(tokens).Span, string.Empty),
            "delete-line" => DeleteLine(source),
            "swap-tokens" => SwapTokens(source, tokens),
            "unbalance-brace" => UnbalanceBrace(source, tokens),
            "swap-operator" => SwapOperator(source, tokens),
            "move-statement" => MoveStatement(source, root, duplicate: false),
            _ => MoveStatement(source, root, duplicate: true),
        };
        return (name, text);
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Replace(string source, TextSpan span, string replacement)
        => source.Substring(0, span.Start) + replacement + source.Substring(span.End);

    private string DeleteLine(string source)
    {
        var lines = source.Split('\n').ToList();
        lines.RemoveAt(_random.Next(lines.Count));
        return string.Join("\n", lines);
    }

    private string SwapTokens(string source, List<SyntaxToken> tokens)
    {
        if (tokens.Count < 2)
        {
            return source;
        }

        var index = _random.Next(tokens.Count - 1);
        var (first, second) = (tokens[index], tokens[index + 1]);
        return source.Substring(0, first.SpanStart) + second.Text
            + source.Substring(first.Span.End, second.SpanStart - first.Span.End)
            + first.Text + source.Substring(second.Span.End);
    }

    private string UnbalanceBrace(string source, List<SyntaxToken> tokens)
    {
        var braces = tokens.Where(t => t.IsKind(SyntaxKind.OpenBraceToken) || t.IsKind(SyntaxKind.CloseBraceToken)).ToList();
        if (braces.Count > 0 && _random.Next(2) == 0)
        {
            return Replace(source, Pick(braces).Span, string.Empty);
        }

        var position = tokens.Count == 0 ? 0 : Pick(tokens).SpanStart;
        return source.Insert(position, _random.Next(2) == 0 ? "{ " : "} ");
    }

    private string SwapOperator(string source, List<SyntaxToken> tokens)
    {
        var operators = tokens.Where(t => Operators.Contains(t.Text, StringComparer.Ordinal)).ToList();
        return operators.Count == 0 ? source : Replace(source, Pick(operators).Span, Pick(Operators));
    }

    private string MoveStatement(string source, SyntaxNode root, bool duplicate)
    {
        var statements = root.DescendantNodes().OfType<StatementSyntax>().Where(s => s is not BlockSyntax).ToList();
        if (statements.Count == 0)
        {
            return source;
        }

        var moved = Pick(statements);
        var target = Pick(statements);
        var movedText = moved.ToFullString();
        if (duplicate)
        {
            return source.Insert(moved.FullSpan.End, movedText);
        }

        var without = Replace(source, moved.FullSpan, string.Empty);
        var insertAt = target.FullSpan.Start;
        if (insertAt > moved.FullSpan.Start)
        {
            insertAt = Math.Max(moved.FullSpan.Start, insertAt - moved.FullSpan.Length);
        }

        return without.Insert(Math.Min(insertAt, without.Length), movedText);
    }
}
