using System.Collections.Generic;
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
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX4003: when the compilation references the SafePosix runtime, a discarded <c>write(fd, buf, n)</c> (or a
/// <c>send</c> with no flags, which is the same call on a socket) becomes <c>PosixIo.WriteAll(descriptor, bytes)</c>,
/// which finishes short writes, retries EINTR and throws on failure. Offered only when every argument maps without
/// changing what is written: the descriptor is an <c>int</c> (wrapped without ownership) or a SafeHandle, the buffer
/// is a pointer, an array or a span, and the count is an <c>int</c>. Reads get no fix: a short read is not an error
/// to finish but data to use, and only the code around the call knows how many bytes it needs.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DiscardedByteCountFixer))]
[Shared]
public sealed class DiscardedByteCountFixer : CodeFixProvider
{
    public const string WriteAllKey = RuleIds.DiscardedByteCount + ".WriteAll";

    private const string Title = "Write every byte with PosixIo.WriteAll";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.DiscardedByteCount);

    // Every fix replaces one call and imports the same namespaces: the batch fixer would see the usings as
    // conflicting edits. Fix All rewrites every call in one pass and adds the usings once.
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || Runtime.Find(model.Compilation) is not { } runtime)
        {
            return;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Rewrite(diagnostic, root, model, surfaces, runtime, context.CancellationToken) is not { } rewrite)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    cancellationToken => ApplyAsync(context.Document, root, new[] { rewrite }, cancellationToken),
                    WriteAllKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || Runtime.Find(model.Compilation) is not { } runtime)
        {
            return document;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        var rewrites = new List<CallRewrite>();
        foreach (var diagnostic in diagnostics)
        {
            if (Rewrite(diagnostic, root, model, surfaces, runtime, context.CancellationToken) is { } rewrite)
            {
                rewrites.Add(rewrite);
            }
        }

        return await ApplyAsync(document, root, rewrites, context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<Document> ApplyAsync(Document document, SyntaxNode root, IReadOnlyCollection<CallRewrite> rewrites, CancellationToken cancellationToken)
    {
        var replacements = new Dictionary<SyntaxNode, CallRewrite>();
        foreach (var rewrite in rewrites)
        {
            replacements[rewrite.Call] = rewrite;
        }

        // A call inside another fixed call's arguments (a lambda's body) waits for the next pass: the outer
        // replacement is built from the original syntax.
        var outermost = replacements.Keys.Where(node => !node.Ancestors().Any(replacements.ContainsKey)).ToList();
        if (outermost.Count == 0)
        {
            return document;
        }

        var fixedRoot = root.ReplaceNodes(outermost, (original, _) => replacements[original].Replacement.WithTriviaFrom(original));
        var namespaces = new List<string> { "SafePosix.Ipc" };
        if (outermost.Any(node => replacements[node].WrapsDescriptor))
        {
            namespaces.Add("SafePosix");
        }

        if (outermost.Any(node => replacements[node].NamesSpan))
        {
            namespaces.Add("System");
        }

        return await PosixSyntax.AddUsingsAsync(document.WithSyntaxRoot(fixedRoot), cancellationToken, namespaces.ToArray()).ConfigureAwait(false);
    }

    /// <summary>The call a diagnostic points at and its WriteAll form; null when some argument does not map cleanly.</summary>
    private static CallRewrite? Rewrite(
        Diagnostic diagnostic, SyntaxNode root, SemanticModel model, PosixSurfaces surfaces, Runtime runtime, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
            || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
            || !IsDiscarded(operation)
            // A call through the project's own wrapper: its parameters need not be write's.
            || !surfaces.TryGetLibcCall(operation.TargetMethod, out var call)
            || operation.Arguments.Any(a => a.ArgumentKind != ArgumentKind.Explicit || a.Parameter is null || a.Syntax is not ArgumentSyntax { NameColon: null }))
        {
            return null;
        }

        var arguments = operation.Arguments.OrderBy(a => a.Parameter!.Ordinal).ToList();
        switch (call.Function)
        {
            case "write" when arguments.Count == 3:
                break;
            case "send" when arguments.Count == 4 && OperationFacts.StripConversions(arguments[3].Value).ConstantValue is { HasValue: true, Value: 0 }:
                // send(fd, buf, n, 0) is write(fd, buf, n) on a socket; any flag (MSG_NOSIGNAL, MSG_MORE) would be lost.
                break;
            default:
                return null;
        }

        if (Descriptor(arguments[0].Value, runtime) is not ({ } descriptor, var wrapsDescriptor)
            || Bytes(arguments[1].Value, arguments[2].Value, invocation) is not ({ } bytes, var namesSpan))
        {
            return null;
        }

        var replacement = InvocationExpression(
            MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                ParseTypeName("global::SafePosix.Ipc.PosixIo"),
                IdentifierName("WriteAll")).WithAdditionalAnnotations(Simplifier.Annotation),
            ArgumentList(SeparatedList(new[] { Argument(descriptor), Argument(bytes) })));

        // The rewritten call must bind, where the original stands, to the runtime's WriteAll.
        var bound = model.GetSpeculativeSymbolInfo(invocation.SpanStart, replacement, SpeculativeBindingOption.BindAsExpression).Symbol;
        return bound is IMethodSymbol method && SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, runtime.WriteAll)
            ? new CallRewrite(invocation, replacement, wrapsDescriptor, namesSpan)
            : null;
    }

    /// <summary>Used as a statement, as the rule reports it; anything else keeps its count.</summary>
    private static bool IsDiscarded(IInvocationOperation operation)
    {
        var parent = operation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent is IExpressionStatementOperation;
    }

    /// <summary>A SafeHandle as it is; an <c>int</c> descriptor wrapped without taking ownership (the caller still closes it).</summary>
    private static (ExpressionSyntax Expression, bool Wraps)? Descriptor(IOperation argument, Runtime runtime)
    {
        var value = OperationFacts.StripConversions(argument);
        if (value.Syntax is not ExpressionSyntax syntax || value.Type is not { } type)
        {
            return null;
        }

        if (Inherits(type, runtime.SafeHandle))
        {
            return (syntax.WithoutTrivia(), false);
        }

        if (type.SpecialType != SpecialType.System_Int32)
        {
            return null;
        }

        var wrapped = ObjectCreationExpression(ParseTypeName("global::SafePosix.SafeFileDescriptor").WithAdditionalAnnotations(Simplifier.Annotation))
            .WithArgumentList(ArgumentList(SeparatedList(new[]
            {
                Argument(syntax.WithoutTrivia()),
                Argument(LiteralExpression(SyntaxKind.FalseLiteralExpression)).WithNameColon(NameColon("ownsHandle")),
            })));
        return (wrapped, true);
    }

    /// <summary>
    /// The bytes the call writes, as a <c>ReadOnlySpan&lt;byte&gt;</c> expression: the whole array or span when the
    /// count is its length, a slice of it, or a span over a pointer (IntPtr only where unsafe code is allowed already).
    /// Null when the count is not an <c>int</c> (a wider count would need a cast that can fail or truncate).
    /// </summary>
    private static (ExpressionSyntax Expression, bool NamesSpan)? Bytes(IOperation bufferArgument, IOperation countArgument, SyntaxNode site)
    {
        var buffer = OperationFacts.StripConversions(bufferArgument);
        var count = IntCount(countArgument);
        if (count is null || buffer.Syntax is not ExpressionSyntax bufferSyntax || buffer.Type is not { } bufferType)
        {
            return null;
        }

        var bufferExpression = bufferSyntax.WithoutTrivia();
        var countExpression = ((ExpressionSyntax)count.Syntax).WithoutTrivia();
        if (IsByteArrayOrSpan(bufferType))
        {
            if (IsLengthOf(count, buffer))
            {
                return (bufferExpression, false);
            }

            // new ReadOnlySpan<byte>(array, 0, n) and span.Slice(0, n) throw when n is past the end, where write would
            // have read beyond the buffer.
            if (bufferType is IArrayTypeSymbol)
            {
                return (SpanOf(Argument(bufferExpression), Argument(Zero()), Argument(countExpression)), true);
            }

            return (InvocationExpression(
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Parenthesized(bufferExpression), IdentifierName("Slice")),
                    ArgumentList(SeparatedList(new[] { Argument(Zero()), Argument(countExpression) }))),
                false);
        }

        ExpressionSyntax pointer;
        if (bufferType is IPointerTypeSymbol)
        {
            pointer = bufferExpression;
        }
        else if (bufferType.SpecialType == SpecialType.System_IntPtr && IsUnsafeContext(site))
        {
            pointer = CastExpression(PointerType(PredefinedType(Token(SyntaxKind.VoidKeyword))), Parenthesized(bufferExpression));
        }
        else
        {
            return null;
        }

        return (SpanOf(Argument(pointer), Argument(countExpression)), true);
    }

    private static ExpressionSyntax SpanOf(params ArgumentSyntax[] arguments)
        => ObjectCreationExpression(ParseTypeName("global::System.ReadOnlySpan<byte>").WithAdditionalAnnotations(Simplifier.Annotation))
            .WithArgumentList(ArgumentList(SeparatedList(arguments)));

    private static LiteralExpressionSyntax Zero() => LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0));

    /// <summary>
    /// The count as the code wrote it, when that is an <c>int</c>: under the one conversion the call adds or the code
    /// writes to fit the parameter (<c>(ulong)data.Length</c>, Tmds' <c>size_t</c>, <c>nint</c>), which a span's
    /// length does not need.
    /// </summary>
    private static IOperation? IntCount(IOperation argument)
    {
        var value = argument is IConversionOperation { Operand.Type.SpecialType: SpecialType.System_Int32 } conversion && KeepsCount(conversion.Type)
            ? conversion.Operand
            : argument;
        return value.Type?.SpecialType == SpecialType.System_Int32 && value.Syntax is ExpressionSyntax ? value : null;
    }

    private static bool KeepsCount(ITypeSymbol? type)
        => type is not null
           && (type.SpecialType is SpecialType.System_Int64 or SpecialType.System_IntPtr or SpecialType.System_UInt64 or SpecialType.System_UIntPtr or SpecialType.System_UInt32
               || OperationFacts.IsBindingTypedefStruct(type));

    /// <summary><c>write(fd, data, data.Length)</c>: the count is the length of the same array or span, named the same way.</summary>
    private static bool IsLengthOf(IOperation count, IOperation buffer)
        => count is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } instance }
           && IsRepeatable(buffer)
           && SymbolOf(instance) is { } counted
           && SymbolEqualityComparer.Default.Equals(counted, SymbolOf(buffer))
           && instance.Syntax.IsEquivalentTo(buffer.Syntax, topLevel: false);

    private static bool IsRepeatable(IOperation operation) => operation is ILocalReferenceOperation or IParameterReferenceOperation
        || (operation is IFieldReferenceOperation { Field.IsReadOnly: true, Instance: null or IInstanceReferenceOperation });

    private static ISymbol? SymbolOf(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        _ => null,
    };

    private static bool IsByteArrayOrSpan(ITypeSymbol type)
        => type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte }
           || (type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", TypeArguments.Length: 1 } span
               && span.TypeArguments[0].SpecialType == SpecialType.System_Byte
               && span.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true });

    /// <summary>Inside an <c>unsafe</c> block, member, type or local function (an <c>unsafe</c> partial part covers only itself).</summary>
    private static bool IsUnsafeContext(SyntaxNode node)
        => node.Ancestors().Any(a => a is UnsafeStatementSyntax
            || (a is MemberDeclarationSyntax member && member.Modifiers.Any(SyntaxKind.UnsafeKeyword))
            || (a is LocalFunctionStatementSyntax local && local.Modifiers.Any(SyntaxKind.UnsafeKeyword)));

    private static bool Inherits(ITypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private static ExpressionSyntax Parenthesized(ExpressionSyntax expression)
        => expression is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax
            or ThisExpressionSyntax
            ? expression
            : ParenthesizedExpression(expression);

    /// <summary>The runtime's types the fix names, when the compilation references SafePosix and can see them.</summary>
    private sealed class Runtime
    {
        private Runtime(IMethodSymbol writeAll, INamedTypeSymbol safeHandle)
        {
            WriteAll = writeAll;
            SafeHandle = safeHandle;
        }

        public IMethodSymbol WriteAll { get; }

        public INamedTypeSymbol SafeHandle { get; }

        public static Runtime? Find(Compilation compilation)
        {
            var posixIo = compilation.GetTypeByMetadataName("SafePosix.Ipc.PosixIo");
            var safeHandle = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.SafeHandle");
            var descriptor = compilation.GetTypeByMetadataName("SafePosix.SafeFileDescriptor");
            if (posixIo is null || safeHandle is null || descriptor is null)
            {
                return null;
            }

            var writeAll = posixIo.GetMembers("WriteAll").OfType<IMethodSymbol>().FirstOrDefault(m =>
                m.IsStatic && m.DeclaredAccessibility == Accessibility.Public && m.Parameters.Length == 2
                && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, safeHandle)
                && m.Parameters[1].Type is INamedTypeSymbol { Name: "ReadOnlySpan", TypeArguments.Length: 1 } span
                && span.TypeArguments[0].SpecialType == SpecialType.System_Byte);
            return writeAll is null ? null : new Runtime(writeAll, safeHandle);
        }
    }

    private sealed class CallRewrite
    {
        public CallRewrite(InvocationExpressionSyntax call, ExpressionSyntax replacement, bool wrapsDescriptor, bool namesSpan)
        {
            Call = call;
            Replacement = replacement;
            WrapsDescriptor = wrapsDescriptor;
            NamesSpan = namesSpan;
        }

        public InvocationExpressionSyntax Call { get; }

        public ExpressionSyntax Replacement { get; }

        public bool WrapsDescriptor { get; }

        /// <summary>The replacement names ReadOnlySpan: <c>using System;</c> keeps it short.</summary>
        public bool NamesSpan { get; }
    }
}
