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
    /// imports it; the code action's cleanup then shortens the qualified names.
    /// </summary>
    public static async Task<Document> AddUsingsAsync(Document document, CancellationToken cancellationToken, params string[] namespaces)
    {
        if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root
            || await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false) is not { } compilation)
        {
            return document;
        }

        var imported = new HashSet<string>(root.Usings.Where(u => u.StaticKeyword.IsKind(SyntaxKind.None) && u.Alias is null).Select(u => u.Name?.ToString() ?? string.Empty));
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
        var sorted = root.Usings.AddRange(missing.Select(ns => UsingDirective(ParseName(ns)).NormalizeWhitespace()))
            .OrderBy(u => u.StaticKeyword.IsKind(SyntaxKind.StaticKeyword) ? 1 : 0)
            .ThenBy(u => u.Alias is null ? 0 : 1)
            .ThenBy(u => u.Name?.ToString().StartsWith("System", StringComparison.Ordinal) == true ? 0 : 1)
            .ThenBy(u => u.Name?.ToString(), StringComparer.Ordinal)
            .Select(u => u.WithoutTrivia().WithTrailingTrivia(EndOfLineOf(root)))
            .ToArray();
        if (root.Usings.Count > 0)
        {
            sorted[0] = sorted[0].WithLeadingTrivia(root.Usings[0].GetLeadingTrivia());
            sorted[sorted.Length - 1] = sorted[sorted.Length - 1].WithTrailingTrivia(root.Usings[root.Usings.Count - 1].GetTrailingTrivia());
        }

        return document.WithSyntaxRoot(root.WithUsings(List(sorted)));
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
