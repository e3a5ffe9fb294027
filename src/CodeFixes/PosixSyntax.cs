using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes;

/// <summary>The code fixes write: each surface's own spelling of a sentinel, and the errno-carrying throw.</summary>
internal static class PosixSyntax
{
    /// <summary>MAP_FAILED as the surface spells it, converted to the type it is compared with.</summary>
    public static ExpressionSyntax MapFailed(PosixSurface surface, ITypeSymbol comparedType, Compilation compilation)
    {
        switch (surface)
        {
            case PosixSurface.Tmds when compilation.GetTypeByMetadataName("Tmds.Linux.LibC") is not null:
                // Tmds: void* MAP_FAILED; pointers compare with it directly, integers need a cast.
                var tmds = Qualified("Tmds.Linux.LibC.MAP_FAILED");
                return comparedType is IPointerTypeSymbol ? tmds : Cast(comparedType, tmds);
            case PosixSurface.MonoNative when compilation.GetTypeByMetadataName("Mono.Unix.Native.Syscall") is not null:
                // Mono: static readonly IntPtr MAP_FAILED.
                var mono = Qualified("Mono.Unix.Native.Syscall.MAP_FAILED");
                return comparedType.SpecialType == SpecialType.System_IntPtr ? mono : Cast(comparedType, mono);
            default:
                return MinusOne(comparedType);
        }
    }

    private static ExpressionSyntax MinusOne(ITypeSymbol comparedType)
    {
        var minusOne = PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
        if (comparedType is IPointerTypeSymbol)
        {
            return CastExpression(ParseTypeName("void*"), minusOne);
        }

        if (comparedType.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
        {
            return comparedType.IsNativeIntegerType
                ? CastExpression(ParseTypeName(comparedType.SpecialType == SpecialType.System_IntPtr ? "nint" : "nuint"), ParenthesizedExpression(minusOne))
                : ObjectCreationExpression(Type(comparedType)).AddArgumentListArguments(Argument(minusOne));
        }

        return minusOne;
    }

    /// <summary><c>throw new Win32Exception(Marshal.GetLastPInvokeError())</c>: on Unix its message is strerror(errno).</summary>
    public static StatementSyntax ThrowWithErrno(Compilation compilation)
    {
        var marshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        var reader = marshal?.GetMembers("GetLastPInvokeError").Any() == true ? "GetLastPInvokeError" : "GetLastWin32Error";
        var errno = InvocationExpression(Qualified("System.Runtime.InteropServices.Marshal." + reader));
        var exceptionType = ParseTypeName("global::System.ComponentModel.Win32Exception").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
        return ThrowStatement(ObjectCreationExpression(exceptionType)
            .AddArgumentListArguments(Argument(errno)));
    }

    /// <summary><c>if (value == failure) { throw ...; }</c></summary>
    public static StatementSyntax ThrowIfEqual(ExpressionSyntax value, ExpressionSyntax failure, Compilation compilation)
        => IfStatement(BinaryExpression(SyntaxKind.EqualsExpression, value, failure), Block(ThrowWithErrno(compilation)))
            .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);

    private static ExpressionSyntax Cast(ITypeSymbol type, ExpressionSyntax expression)
        => CastExpression(Type(type), expression);

    private static TypeSyntax Type(ITypeSymbol type)
        => ParseTypeName(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary>A fully qualified name the simplifier shortens where a using or using static allows it.</summary>
    private static ExpressionSyntax Qualified(string dottedName)
        => ParseExpression("global::" + dottedName).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
}
