using System;
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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX5002: turn a discarded call into one whose -1 throws with errno.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(IgnoredFailureFixer))]
[Shared]
public sealed class IgnoredFailureFixer : CodeFixProvider
{
    public const string ThrowOnFailureKey = RuleIds.IgnoredFailure + ".ThrowOnFailure";

    public const string ExitChildOnFailureKey = RuleIds.IgnoredFailure + ".ExitChildOnFailure";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.IgnoredFailure);

    // The batch fixer merges per-diagnostic documents, and each one adds the same using directives: the overlapping
    // edits conflict and Fix All needs a second pass. One editor per document applies every check, then adds the usings once.
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

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
            if (FixableStatement(root, model, diagnostic, context.CancellationToken) is not { } target)
            {
                continue;
            }

            var document = context.Document;
            var name = model.GetSymbolInfo(target.Invocation, context.CancellationToken).Symbol?.Name ?? "the call";
            context.RegisterCodeFix(
                CodeAction.Create(
                    target.Exit is null ? $"Throw with errno when '{name}' returns -1" : $"End the child with _exit(127) when '{name}' returns -1",
                    cancellationToken => ApplyAsync(document, model, new[] { target }, cancellationToken),
                    target.Exit is null ? ThrowOnFailureKey : ExitChildOnFailureKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var targets = diagnostics
            .Select(diagnostic => FixableStatement(root, model, diagnostic, context.CancellationToken))
            .OfType<FixTarget>()
            .GroupBy(target => target.Statement)
            .Select(group => group.First())
            .ToList();
        return targets.Count == 0 ? document : await ApplyAsync(document, model, targets, context.CancellationToken).ConfigureAwait(false);
    }

    private sealed class FixTarget
    {
        public FixTarget(ExpressionStatementSyntax statement, InvocationExpressionSyntax invocation, ExpressionSyntax? exit)
        {
            Statement = statement;
            Invocation = invocation;
            Exit = exit;
        }

        public ExpressionStatementSyntax Statement { get; }

        public InvocationExpressionSyntax Invocation { get; }

        /// <summary>The surface's <c>_exit</c> in a fork child; null where the fix throws.</summary>
        public ExpressionSyntax? Exit { get; }
    }

    /// <summary>The statement to replace, when every precondition of the fix holds for the diagnostic.</summary>
    private static FixTarget? FixableStatement(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        // In a method that forks, the call may run in the child, where throwing returns into the parent's code: only
        // a call that runs in the child alone gets a fix, and that one ends the child with _exit.
        var inChild = diagnostic.Properties.ContainsKey(IgnoredFailureAnalyzer.InChildProperty);
        if (!diagnostic.Properties.TryGetValue(IgnoredFailureAnalyzer.ShapeProperty, out var shape)
            || shape != IgnoredFailureAnalyzer.DiscardedShape
            || (diagnostic.Properties.ContainsKey(IgnoredFailureAnalyzer.ForksProperty) && !inChild)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
            || invocation.Parent is not (ExpressionStatementSyntax or AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax })
            || invocation.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
            || model.GetTypeInfo(invocation, cancellationToken).Type is not { } resultType
            || !ComparesWithMinusOne(resultType))
        {
            return null;
        }

        if (!inChild)
        {
            return new FixTarget(statement, invocation, null);
        }

        return diagnostic.Properties.TryGetValue(IgnoredFailureAnalyzer.SurfaceProperty, out var surfaceName)
            && Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            && ExitFor(surface, model, invocation, cancellationToken) is { } exit
                ? new FixTarget(statement, invocation, exit)
                : null;
    }

    /// <summary>
    /// The surface's <c>_exit</c>, callable where the call is: Tmds' LibC._exit, Mono's Syscall._exit, or the
    /// project's own declaration (in scope, or beside the discarded call's declaration). None to call: no fix.
    /// </summary>
    private static ExpressionSyntax? ExitFor(PosixSurface surface, SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        var compilation = model.Compilation;
        switch (surface)
        {
            case PosixSurface.Tmds when compilation.GetTypeByMetadataName("Tmds.Linux.LibC") is not null:
                return ProcessSyntax.Qualified("Tmds.Linux.LibC._exit");
            case PosixSurface.MonoNative or PosixSurface.MonoLegacy when compilation.GetTypeByMetadataName("Mono.Unix.Native.Syscall") is not null:
                return ProcessSyntax.Qualified("Mono.Unix.Native.Syscall._exit");
            case PosixSurface.OwnInterop:
                break;
            default:
                return null;
        }

        var surfaces = PosixSurfaces.Create(compilation);
        foreach (var symbol in model.LookupSymbols(invocation.SpanStart, name: "_exit"))
        {
            if (symbol is IMethodSymbol { Parameters.Length: 1 } method && IsExit(surfaces, method))
            {
                return IdentifierName("_exit");
            }
        }

        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { ContainingType: { } type })
        {
            foreach (var member in type.GetMembers().OfType<IMethodSymbol>())
            {
                if (member.Parameters.Length == 1 && IsExit(surfaces, member)
                    && model.IsAccessible(invocation.SpanStart, member))
                {
                    return ProcessSyntax.MemberOf(type, member.Name);
                }
            }
        }

        return null;
    }

    private static bool IsExit(PosixSurfaces surfaces, IMethodSymbol method)
        => method.IsStatic && surfaces.TryGetLibcCall(method, out var call) && call.Function is "_exit" or "_Exit"
            && method.Parameters[0].Type.SpecialType == SpecialType.System_Int32;

    private static async Task<Document> ApplyAsync(
        Document document, SemanticModel model, IEnumerable<FixTarget> targets, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // One ReplaceNodes pass: the targets are separate statements, and Fix All may bring a thousand of them, where
        // an editor's change-by-change replay grows with the square of their number.
        var generator = SyntaxGenerator.GetGenerator(document);
        var minusOne = PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
        var checks = new Dictionary<SyntaxNode, SyntaxNode>();
        var throws = false;
        foreach (var target in targets)
        {
            var invocation = target.Invocation.WithoutTrivia();
            checks[target.Statement] = (target.Exit is { } exit
                ? IfStatement(BinaryExpression(SyntaxKind.EqualsExpression, invocation, minusOne),
                    Block(ProcessSyntax.ExitStatement(exit, ProcessSyntax.ExecFailedLiteral()))).WithAdditionalAnnotations(Formatter.Annotation)
                : PosixSyntax.ThrowIfEqual(invocation, minusOne, model.Compilation, generator)).WithTriviaFrom(target.Statement);
            throws |= target.Exit is null;
        }

        // A call nested in another target's arguments (inside a lambda) waits for the next pass: replacing the outer
        // statement rebuilds it from the original syntax.
        var outermost = checks.Keys.Where(statement => !statement.Ancestors().Any(checks.ContainsKey)).ToList();
        var fixedRoot = root.ReplaceNodes(outermost, (original, _) => checks[original]);
        return throws
            ? await PosixSyntax.AddUsingsAsync(document.WithSyntaxRoot(fixedRoot), cancellationToken, "System.ComponentModel", "System.Runtime.InteropServices").ConfigureAwait(false)
            : document.WithSyntaxRoot(fixedRoot);
    }

    /// <summary>Signed integers compare with -1 directly; the bindings' typedef structs through their == operator.</summary>
    private static bool ComparesWithMinusOne(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_IntPtr
            || (type.TypeKind == TypeKind.Struct && type.GetMembers("op_Equality").Any()
                && type.GetMembers("op_Implicit").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 1 && m.Parameters[0].Type.SpecialType == SpecialType.System_Int32 && SymbolEqualityComparer.Default.Equals(m.ReturnType, type)));
}
