using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes;

/// <summary>The code fixes write: each surface's own spelling of a sentinel, and the errno-carrying throw.</summary>
internal static class PosixSyntax
{
    /// <summary>MAP_FAILED as the surface spells it, fitting the expression it replaces or is compared with.</summary>
    /// <param name="writtenType">The type of what the sentinel replaces (<c>IntPtr.Zero</c>: IntPtr; <c>0</c>: int); the compared type when nothing is replaced.</param>
    /// <param name="comparedType">The type both sides are compared as.</param>
    public static ExpressionSyntax MapFailed(PosixSurface surface, ITypeSymbol? writtenType, ITypeSymbol comparedType, Compilation compilation, SyntaxGenerator generator)
    {
        switch (surface)
        {
            case PosixSurface.Tmds when compilation.GetTypeByMetadataName("Tmds.Linux.LibC") is { }:
                // Tmds: void* MAP_FAILED; pointers compare with it directly, integers need a cast.
                var tmds = Member(compilation, generator, "Tmds.Linux.LibC", "MAP_FAILED");
                return comparedType is IPointerTypeSymbol ? tmds : Cast(comparedType, tmds);
            case PosixSurface.MonoNative when compilation.GetTypeByMetadataName("Mono.Unix.Native.Syscall") is not null:
                // Mono: static readonly IntPtr MAP_FAILED.
                var mono = Member(compilation, generator, "Mono.Unix.Native.Syscall", "MAP_FAILED");
                return comparedType.SpecialType == SpecialType.System_IntPtr ? mono : Cast(comparedType, mono);
            default:
                return AllBitsSet(writtenType ?? comparedType, comparedType, compilation);
        }
    }

    private static ExpressionSyntax AllBitsSet(ITypeSymbol writtenType, ITypeSymbol comparedType, Compilation compilation)
    {
        var minusOne = PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
        if (comparedType is IPointerTypeSymbol)
        {
            return CastExpression(ParseTypeName("void*"), minusOne);
        }

        // Before C# 11 an IntPtr does not compare with -1: `IntPtr.Zero` becomes `new IntPtr(-1)` there.
        if (writtenType.SpecialType is SpecialType.System_IntPtr && !writtenType.IsNativeIntegerType && !HasNumericIntPtr(compilation))
        {
            return ObjectCreationExpression(IdentifierName("IntPtr")).AddArgumentListArguments(Argument(minusOne));
        }

        return comparedType.SpecialType switch
        {
            SpecialType.System_UIntPtr => ParseExpression("nuint.MaxValue"),
            SpecialType.System_UInt64 => ParseExpression("ulong.MaxValue"),
            SpecialType.System_UInt32 => ParseExpression("uint.MaxValue"),
            _ => minusOne,
        };
    }

    /// <summary><c>throw new Win32Exception(Marshal.GetLastPInvokeError())</c>: on Unix its message is strerror(errno).</summary>
    public static StatementSyntax ThrowWithErrno(Compilation compilation, SyntaxGenerator generator)
    {
        var marshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        var reader = marshal?.GetMembers("GetLastPInvokeError").Any() == true ? "GetLastPInvokeError" : "GetLastWin32Error";
        var errno = InvocationExpression(Member(compilation, generator, "System.Runtime.InteropServices.Marshal", reader));
        return ThrowStatement(ObjectCreationExpression(TypeName(compilation, generator, "System.ComponentModel.Win32Exception"))
            .AddArgumentListArguments(Argument(errno)));
    }

    /// <summary><c>if (value == failure) { throw ...; }</c></summary>
    public static StatementSyntax ThrowIfEqual(ExpressionSyntax value, ExpressionSyntax failure, Compilation compilation, SyntaxGenerator generator)
        => IfStatement(BinaryExpression(SyntaxKind.EqualsExpression, value, failure), Block(ThrowWithErrno(compilation, generator)))
            .WithAdditionalAnnotations(Formatter.Annotation);

    private static ExpressionSyntax Cast(ITypeSymbol type, ExpressionSyntax expression)
        => CastExpression(Type(type), expression);

    private static TypeSyntax Type(ITypeSymbol type)
        => ParseTypeName(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary>A type name that the cleanup imports and shortens as the file's usings allow.</summary>
    private static TypeSyntax TypeName(Compilation compilation, SyntaxGenerator generator, string metadataName)
        => compilation.GetTypeByMetadataName(metadataName) is { } type
            ? (TypeSyntax)generator.TypeExpression(type, addImport: true)
            : ParseTypeName("global::" + metadataName).WithAdditionalAnnotations(Simplifier.Annotation);

    private static ExpressionSyntax Member(Compilation compilation, SyntaxGenerator generator, string typeMetadataName, string member)
        => MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, TypeName(compilation, generator, typeMetadataName), IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation);

    private static bool HasNumericIntPtr(Compilation compilation)
        => compilation is CSharpCompilation { LanguageVersion: >= LanguageVersion.CSharp11 }
           && compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.RuntimeFeature")?.GetMembers("NumericIntPtr").Length > 0;

    /// <summary>
    /// Adds a using for each namespace the fix introduced names from, unless the file or a global using already
    /// imports it; the code action's cleanup then shortens the qualified names. The usings go where the file keeps
    /// its own: at the top, or inside its one namespace (StyleCop's layout); a file with none follows
    /// <c>csharp_using_directive_placement</c>.
    /// </summary>
    public static async Task<Document> AddUsingsAsync(Document document, CancellationToken cancellationToken, params string[] namespaces)
    {
        if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root
            || await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false) is not { } compilation)
        {
            return document;
        }

        var onlyNamespace = OnlyNamespace(root);
        var imported = new HashSet<string>(PlainUsings(root.Usings).Concat(onlyNamespace is null ? Enumerable.Empty<string>() : PlainUsings(onlyNamespace.Usings)));
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (tree.GetRoot(cancellationToken) is CompilationUnitSyntax unit)
            {
                imported.UnionWith(unit.Usings.Where(u => u.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword) && u.Alias is null).Select(u => u.Name?.ToString() ?? string.Empty));
            }
        }

        var missing = namespaces.Where(ns => !imported.Contains(ns)).Distinct().ToList();
        if (missing.Count == 0)
        {
            return document;
        }

        // The new directives are spaced here: a formatter annotation on the root would have the code action's cleanup
        // re-lay the whole file (its tabs, its own spacing) in the default style.
        var endOfLine = EndOfLineOf(root);
        if (endOfLine.HasAnnotation(SyntaxAnnotation.ElasticAnnotation))
        {
            endOfLine = LineFeed;
        }

        var added = missing
            .Select(ns => UsingDirective(ParseName(ns)).NormalizeWhitespace().WithTrailingTrivia(endOfLine))
            .OrderBy(u => u, UsingOrder.Instance)
            .ToList();
        // Global usings are the project's, wherever they are written: only plain ones at the top say where the file keeps its own.
        var usingsAtTop = root.Usings.Any(u => !u.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword));
        if (!usingsAtTop && onlyNamespace is not null
            && (onlyNamespace.Usings.Count > 0 || (PrefersInsideNamespace(document, root) && onlyNamespace.Externs.Count == 0 && onlyNamespace.Members.Count > 0)))
        {
            var withUsings = onlyNamespace.Usings.Count > 0
                ? onlyNamespace.WithUsings(InsertUsings(root, onlyNamespace.Members, onlyNamespace.Usings, added, endOfLine))
                : AddFirstUsings(onlyNamespace, added, endOfLine);
            return document.WithSyntaxRoot(root.ReplaceNode(onlyNamespace, withUsings));
        }

        return root.Usings.Count == 0
            ? document.WithSyntaxRoot(AddFirstUsings(root, added, endOfLine))
            : document.WithSyntaxRoot(root.WithUsings(InsertUsings(root, root.Members, root.Usings, added, endOfLine)));
    }

    private static IEnumerable<string> PlainUsings(SyntaxList<UsingDirectiveSyntax> usings)
        => usings.Where(u => u.StaticKeyword.IsKind(SyntaxKind.None) && u.Alias is null).Select(u => u.Name?.ToString() ?? string.Empty);

    /// <summary>The file's namespace when it is all the file declares; a using placed in it covers every line a fix writes.</summary>
    private static BaseNamespaceDeclarationSyntax? OnlyNamespace(CompilationUnitSyntax root)
        => root.Members.Count == 1 && root.Members[0] is BaseNamespaceDeclarationSyntax only ? only : null;

    /// <summary><c>csharp_using_directive_placement = inside_namespace</c> (with or without a severity) applies to the file.</summary>
    private static bool PrefersInsideNamespace(Document document, SyntaxNode root)
        => document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider.GetOptions(root.SyntaxTree)
               .TryGetValue("csharp_using_directive_placement", out var placement)
           && placement.Split(':')[0].Trim() == "inside_namespace";

    /// <summary>
    /// Inserts among a file's or namespace's usings without moving or re-spacing any of them: their comments and any
    /// <c>#if</c> around them belong to them. A new using only goes where no <c>#if</c> is open, or it would be
    /// conditional, or split the conditional: no deeper than the usings and the code after them all are (a platform
    /// file may sit inside one <c>#if</c>, or its namespace may). It is indented as the first of them is.
    /// </summary>
    private static SyntaxList<UsingDirectiveSyntax> InsertUsings<TMember>(
        CompilationUnitSyntax root, SyntaxList<TMember> members, SyntaxList<UsingDirectiveSyntax> usings, List<UsingDirectiveSyntax> added, SyntaxTrivia endOfLine)
        where TMember : SyntaxNode
    {
        var scopeEnd = members.Count > 0 ? members[members.Count - 1].Span.End : usings[usings.Count - 1].Span.End;
        var conditionals = root.DescendantTrivia(TextSpan.FromBounds(0, scopeEnd))
            .Where(t => t.IsKind(SyntaxKind.IfDirectiveTrivia) || t.IsKind(SyntaxKind.EndIfDirectiveTrivia))
            .ToList();
        var scopeDepth = LeastDepth(conditionals, usings[0].SpanStart, scopeEnd);

        // A point before using i lies before its leading trivia, except before the first using: there it lies after the
        // header (licence comment, blank lines) that the new using takes over, so the header stays on top.
        var headerLength = HeaderLength(usings[0].GetLeadingTrivia());
        var indentation = usings[0].GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse().ToList();
        var isSafe = new bool[usings.Count + 1];
        isSafe[0] = headerLength >= 0 && DepthAt(conditionals, usings[0].FullSpan.Start) == scopeDepth;
        for (var i = 1; i <= usings.Count; i++)
        {
            isSafe[i] = DepthAt(conditionals, i == usings.Count ? usings[i - 1].FullSpan.End : usings[i].FullSpan.Start) == scopeDepth;
        }

        // A plain using may not precede a global one.
        var firstAllowed = 0;
        for (var i = 0; i < usings.Count; i++)
        {
            if (usings[i].GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword))
            {
                firstAllowed = i + 1;
            }
        }

        var before = new List<UsingDirectiveSyntax>[usings.Count + 1];
        foreach (var directive in added)
        {
            var sorted = firstAllowed;
            while (sorted < usings.Count && UsingOrder.Instance.Compare(usings[sorted], directive) <= 0)
            {
                sorted++;
            }

            var point = Enumerable.Range(sorted, usings.Count + 1 - sorted).Where(i => isSafe[i]).DefaultIfEmpty(-1).First();
            if (point < 0)
            {
                point = Enumerable.Range(firstAllowed, sorted - firstAllowed).Where(i => isSafe[i]).DefaultIfEmpty(-1).Last();
            }

            if (point >= 0)
            {
                (before[point] ??= new List<UsingDirectiveSyntax>()).Add(directive.WithLeadingTrivia(indentation));
            }
        }

        var result = new List<UsingDirectiveSyntax>();
        for (var i = 0; i <= usings.Count; i++)
        {
            if (before[i] is { } inserted)
            {
                if (i == 0)
                {
                    var leading = usings[0].GetLeadingTrivia();
                    inserted[0] = inserted[0].WithLeadingTrivia(leading.Take(headerLength).Concat(indentation));
                    usings = usings.Replace(usings[0], usings[0].WithLeadingTrivia(leading.Skip(headerLength)));
                }
                else if (!EndsWithEndOfLine(result[result.Count - 1].GetTrailingTrivia()))
                {
                    inserted[0] = inserted[0].WithLeadingTrivia(new[] { endOfLine }.Concat(indentation));
                }

                result.AddRange(inserted);
            }

            if (i < usings.Count)
            {
                result.Add(usings[i]);
            }
        }

        return List(result);
    }

    /// <summary>
    /// The first usings of a namespace go above its first member, at that member's indentation, then a blank line;
    /// the member's comments (documentation, a region) stay with the member.
    /// </summary>
    private static BaseNamespaceDeclarationSyntax AddFirstUsings(BaseNamespaceDeclarationSyntax declaration, List<UsingDirectiveSyntax> added, SyntaxTrivia endOfLine)
    {
        var first = declaration.Members[0];
        var leading = first.GetLeadingTrivia();
        var blank = leading.TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia) || t.IsKind(SyntaxKind.EndOfLineTrivia)).ToList();
        var indentation = blank.AsEnumerable().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse().ToList();
        for (var i = 0; i < added.Count; i++)
        {
            added[i] = added[i].WithLeadingTrivia(i == 0 ? blank : indentation);
        }

        var rest = new[] { endOfLine }.Concat(indentation).Concat(leading.Skip(blank.Count));
        return declaration.ReplaceNode(first, first.WithLeadingTrivia(rest)).WithUsings(List(added));
    }

    /// <summary>
    /// The first usings of a file go below its header comments and above its first directive (<c>#nullable</c>,
    /// <c>#if</c>), then a blank line.
    /// </summary>
    private static CompilationUnitSyntax AddFirstUsings(CompilationUnitSyntax root, List<UsingDirectiveSyntax> added, SyntaxTrivia endOfLine)
    {
        if (root.Externs.Count > 0)
        {
            // Usings follow the extern aliases, which have no header of their own to keep above.
            var lastExtern = root.Externs[root.Externs.Count - 1];
            if (!EndsWithEndOfLine(lastExtern.GetTrailingTrivia()))
            {
                added[0] = added[0].WithLeadingTrivia(endOfLine);
            }

            return root.WithUsings(List(added));
        }

        var first = root.GetFirstToken(includeZeroWidth: true);
        var leading = first.LeadingTrivia;
        var headerLength = HeaderLength(leading);
        if (headerLength < 0)
        {
            return root;
        }

        var header = leading.Take(headerLength).ToList();
        if (header.Count > 0 && !EndsWithEndOfLine(header))
        {
            header.Add(endOfLine);
        }

        added[0] = added[0].WithLeadingTrivia(header);
        var rest = new[] { endOfLine }.Concat(leading.Skip(headerLength));
        var withoutHeader = root.ReplaceToken(first, first.WithLeadingTrivia(rest));
        return withoutHeader.WithUsings(List(added));
    }

    /// <summary>
    /// How many leading trivia of the first using (or first token) stay above a new using: the comments, blank lines
    /// and <c>#pragma warning</c> lines before the first other directive, but past every <c>#define</c> (which may not
    /// follow a token) and never inside an <c>#if</c>; the indentation of the next line stays with that line. -1 when
    /// no such point exists.
    /// </summary>
    private static int HeaderLength(SyntaxTriviaList leading)
    {
        var afterDefines = 0;
        for (var i = 0; i < leading.Count; i++)
        {
            if (leading[i].IsKind(SyntaxKind.DefineDirectiveTrivia) || leading[i].IsKind(SyntaxKind.UndefDirectiveTrivia))
            {
                afterDefines = i + 1;
            }
        }

        var depth = 0;
        for (var i = 0; i <= leading.Count; i++)
        {
            if (i >= afterDefines && depth == 0 && (i == leading.Count || (leading[i].IsDirective && !leading[i].IsKind(SyntaxKind.PragmaWarningDirectiveTrivia))))
            {
                while (i > 0 && leading[i - 1].IsKind(SyntaxKind.WhitespaceTrivia))
                {
                    i--;
                }

                return i;
            }

            if (i < leading.Count)
            {
                depth += leading[i].Kind() switch
                {
                    SyntaxKind.IfDirectiveTrivia => 1,
                    SyntaxKind.EndIfDirectiveTrivia => -1,
                    _ => 0,
                };
            }
        }

        return -1;
    }

    /// <summary>The shallowest <c>#if</c> depth anywhere from <paramref name="start"/> to <paramref name="end"/>.</summary>
    private static int LeastDepth(List<SyntaxTrivia> conditionals, int start, int end)
    {
        var depth = DepthAt(conditionals, start);
        var least = depth;
        foreach (var directive in conditionals)
        {
            if (directive.SpanStart >= start && directive.SpanStart < end)
            {
                depth += directive.IsKind(SyntaxKind.IfDirectiveTrivia) ? 1 : -1;
                least = Math.Min(least, depth);
            }
        }

        return least;
    }

    private static int DepthAt(List<SyntaxTrivia> conditionals, int position)
    {
        var depth = 0;
        foreach (var directive in conditionals)
        {
            if (directive.SpanStart >= position)
            {
                break;
            }

            depth += directive.IsKind(SyntaxKind.IfDirectiveTrivia) ? 1 : -1;
        }

        return depth;
    }

    private static bool EndsWithEndOfLine(IEnumerable<SyntaxTrivia> trivia)
    {
        var last = trivia.LastOrDefault(t => !t.IsKind(SyntaxKind.WhitespaceTrivia));
        return last.IsKind(SyntaxKind.EndOfLineTrivia) || last.IsDirective;
    }

    /// <summary>The order a new using is placed by: System first, then ordinal; aliases after plain ones, static ones last.</summary>
    private sealed class UsingOrder : IComparer<UsingDirectiveSyntax>
    {
        public static readonly UsingOrder Instance = new();

        public int Compare(UsingDirectiveSyntax? x, UsingDirectiveSyntax? y)
        {
            if (x is null || y is null)
            {
                return x is null ? (y is null ? 0 : -1) : 1;
            }

            var order = Group(x).CompareTo(Group(y));
            return order != 0 ? order : string.CompareOrdinal(x.Name?.ToString(), y.Name?.ToString());
        }

        private static int Group(UsingDirectiveSyntax directive)
            => (directive.StaticKeyword.IsKind(SyntaxKind.StaticKeyword) ? 4 : 0)
               + (directive.Alias is null ? 0 : 2)
               + (directive.Name?.ToString().StartsWith("System", StringComparison.Ordinal) == true ? 0 : 1);
    }

    /// <summary>
    /// The line ending the document already uses, so inserted lines match it (a CRLF line in an LF file shows up
    /// as a whole-file change in diffs and breaks `dotnet format --verify-no-changes`).
    /// </summary>
    public static SyntaxTrivia EndOfLineOf(SyntaxNode root)
    {
        foreach (var trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return ElasticLineFeed;
    }
}
