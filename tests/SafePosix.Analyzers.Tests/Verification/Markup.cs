using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Text;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>A span marked in test source: <c>[|..|]</c> (Id null, Key null), <c>{|ID:..|}</c> or <c>{|#0:..|}</c>.</summary>
public sealed record MarkedSpan(string? Id, int? Key, TextSpan Span);

/// <summary>Parses the markup Microsoft.CodeAnalysis.Testing uses, so that a later switch to it is mechanical.</summary>
public static class Markup
{
    private static readonly Regex MarkerName = new(@"^(#(?<key>\d+)|(?<id>[A-Za-z]+\d+))$", RegexOptions.CultureInvariant);

    public static (string Source, IReadOnlyList<MarkedSpan> Spans) Parse(string markup)
    {
        var output = new StringBuilder(markup.Length);
        var spans = new List<MarkedSpan>();
        var open = new Stack<(char Kind, string? Name, int Start, int MarkupIndex)>();
        var index = 0;
        while (index < markup.Length)
        {
            if (At(markup, index, "[|"))
            {
                open.Push(('[', null, output.Length, index));
                index += 2;
            }
            else if (At(markup, index, "{|"))
            {
                var colon = markup.IndexOf(':', index + 2);
                var name = colon < 0 ? null : markup.Substring(index + 2, colon - index - 2);
                if (name is null || !MarkerName.IsMatch(name))
                {
                    throw new MarkupException($"Unknown marker '{{|{name ?? Tail(markup, index + 2)}' at offset {index}: expected {{|#n:...|}} or {{|ID:...|}}.");
                }

                open.Push(('{', name, output.Length, index));
                index = colon + 1;
            }
            else if (At(markup, index, "|]") || At(markup, index, "|}"))
            {
                var kind = markup[index + 1] == ']' ? '[' : '{';
                if (open.Count == 0 || open.Peek().Kind != kind)
                {
                    throw new MarkupException($"Unbalanced marker '{markup.Substring(index, 2)}' at offset {index}.");
                }

                var (_, name, start, _) = open.Pop();
                spans.Add(ToSpan(name, TextSpan.FromBounds(start, output.Length)));
                index += 2;
            }
            else
            {
                output.Append(markup[index]);
                index++;
            }
        }

        if (open.Count > 0)
        {
            var (kind, _, _, markupIndex) = open.Peek();
            throw new MarkupException($"Unclosed marker '{kind}|' at offset {markupIndex}.");
        }

        return (output.ToString(), spans);
    }

    /// <summary>Re-annotates source with the diagnostics actually found, for failure messages.</summary>
    public static string Annotate(string source, IEnumerable<(string Id, TextSpan Span)> diagnostics)
    {
        var inserts = new List<(int Position, int Order, string Text)>();
        foreach (var (id, span) in diagnostics)
        {
            // At one position closings come first (inner before outer), then openings (outer before inner).
            inserts.Add((span.Start, -span.End, "{|" + id + ":"));
            inserts.Add((span.End, -(1 << 30) - span.Start, "|}"));
        }

        inserts.Sort((a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Order.CompareTo(b.Order));
        var builder = new StringBuilder(source);
        for (var i = inserts.Count - 1; i >= 0; i--)
        {
            builder.Insert(inserts[i].Position, inserts[i].Text);
        }

        return builder.ToString();
    }

    private static MarkedSpan ToSpan(string? name, TextSpan span)
    {
        if (name is null)
        {
            return new MarkedSpan(null, null, span);
        }

        var match = MarkerName.Match(name);
        return match.Groups["key"].Success
            ? new MarkedSpan(null, int.Parse(match.Groups["key"].Value, System.Globalization.CultureInfo.InvariantCulture), span)
            : new MarkedSpan(match.Groups["id"].Value, null, span);
    }

    private static bool At(string text, int index, string token)
        => string.CompareOrdinal(text, index, token, 0, token.Length) == 0;

    private static string Tail(string text, int index) => text.Substring(index, Math.Min(12, text.Length - index));
}

public sealed class MarkupException : Exception
{
    public MarkupException(string message)
        : base(message)
    {
    }
}
