using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX2007: add the surface's MSG_NOSIGNAL to the flags of a raw send.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SendWithoutNoSignalFixer))]
[Shared]
public sealed class SendWithoutNoSignalFixer : CodeFixProvider
{
    public const string AddNoSignalKey = RuleIds.SendWithoutNoSignal + ".AddNoSignal";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.SendWithoutNoSignal);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(
        async (context, document, diagnostics) => await AddAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

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
            if (Edit(root, model, diagnostic, context.CancellationToken) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Add MSG_NOSIGNAL to the flags",
                        cancellationToken => AddAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        AddNoSignalKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> AddAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in diagnostics)
        {
            if (Edit(editor.OriginalRoot, editor.SemanticModel, diagnostic, cancellationToken) is { } edit)
            {
                editor.ReplaceNode(edit.Old, edit.New);
            }
        }

        return editor.GetChangedDocument();
    }

    private static (ExpressionSyntax Old, ExpressionSyntax New)? Edit(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count == 0
            || !diagnostic.Properties.TryGetValue(SendWithoutNoSignalAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not { } found
            || (found is ArgumentSyntax argument ? argument.Expression : found) is not ExpressionSyntax flags)
        {
            return null;
        }

        var type = model.GetTypeInfo(flags, cancellationToken).ConvertedType;
        ExpressionSyntax? noSignal = surface switch
        {
            PosixSurface.Tmds => ParseExpression("global::Tmds.Linux.LibC.MSG_NOSIGNAL"),
            PosixSurface.MonoNative when type?.ToDisplayString() == "Mono.Unix.Native.MessageFlags" => ParseExpression("global::Mono.Unix.Native.MessageFlags.MSG_NOSIGNAL"),
            PosixSurface.OwnInterop when type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
                => LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal("0x4000", 0x4000)).WithTrailingTrivia(Space, Comment("/* MSG_NOSIGNAL */")),
            _ => null,
        };
        if (noSignal is null)
        {
            return null;
        }

        noSignal = noSignal.WithAdditionalAnnotations(Simplifier.Annotation);
        var isZero = model.GetConstantValue(flags, cancellationToken) is { HasValue: true, Value: 0 or 0L or 0U or 0UL };
        ExpressionSyntax replacement = isZero ? noSignal : BinaryExpression(SyntaxKind.BitwiseOrExpression, flags.WithoutTrivia(), noSignal);
        replacement = replacement
            .WithLeadingTrivia(flags.GetLeadingTrivia())
            .WithTrailingTrivia(replacement.GetTrailingTrivia().AddRange(flags.GetTrailingTrivia()));
        return (flags, replacement);
    }
}
