using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX4002: add the close-on-exec flag in the surface's own spelling, or switch to the function that takes it
/// (pipe -> pipe2, accept -> accept4, dup -> fcntl(F_DUPFD_CLOEXEC), epoll_create -> epoll_create1,
/// inotify_init -> inotify_init1). Every rewrite is bound speculatively first: no fix is offered unless the new call
/// resolves to the intended function of the same surface.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DescriptorWithoutCloexecFixer))]
[Shared]
public sealed class DescriptorWithoutCloexecFixer : CodeFixProvider
{
    public const string AddCloexecKey = RuleIds.DescriptorWithoutCloexec + ".AddCloexec";

    /// <summary><c>fcntl(fd, F_SETFL, FD_CLOEXEC)</c> -> <c>fcntl(fd, F_SETFD, FD_CLOEXEC)</c>.</summary>
    public const string UseSetfdKey = RuleIds.DescriptorWithoutCloexec + ".UseSetfd";

    /// <summary>F_SETFD on Linux, macOS and the BSDs.</summary>
    private const int FSetfd = 2;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.DescriptorWithoutCloexec);

    // Every fix replaces one invocation and shares one equivalence key: Fix All computes them all against the one
    // document and replaces them in a single pass (the batch fixer would build and diff a document per diagnostic).
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        var generator = SyntaxGenerator.GetGenerator(context.Document);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (SetfdCommand(diagnostic, root, model, surfaces, context.CancellationToken) is ({ } command, { } setfd))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Use F_SETFD, which sets close-on-exec",
                        async cancellationToken =>
                        {
                            var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                            editor.ReplaceNode(command, setfd);
                            return editor.GetChangedDocument();
                        },
                        UseSetfdKey),
                    diagnostic);
                continue;
            }

            if (Rewrite(diagnostic, root, model, surfaces, generator, context.CancellationToken) is not ({ } invocation, { } replacement, { } title))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.ReplaceNode(invocation, replacement.WithTriviaFrom(invocation));
                        return editor.GetChangedDocument();
                    },
                    AddCloexecKey),
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

        var surfaces = PosixSurfaces.Create(model.Compilation);
        if (context.CodeActionEquivalenceKey == UseSetfdKey)
        {
            var commands = new Dictionary<SyntaxNode, SyntaxNode>();
            foreach (var diagnostic in diagnostics)
            {
                if (SetfdCommand(diagnostic, root, model, surfaces, context.CancellationToken) is ({ } command, { } setfd))
                {
                    commands[command] = setfd;
                }
            }

            return commands.Count == 0 ? document : document.WithSyntaxRoot(root.ReplaceNodes(commands.Keys, (original, _) => commands[original]));
        }

        var generator = SyntaxGenerator.GetGenerator(document);
        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var diagnostic in diagnostics)
        {
            if (Rewrite(diagnostic, root, model, surfaces, generator, context.CancellationToken) is ({ } invocation, { } replacement, _))
            {
                replacements[invocation] = replacement.WithTriviaFrom(invocation);
            }
        }

        // A call nested in another fixed call's arguments (dup(open(...))) waits for the next pass: the outer
        // replacement is built from the original syntax.
        var outermost = replacements.Keys.Where(node => !node.Ancestors().Any(replacements.ContainsKey)).ToList();
        return outermost.Count == 0
            ? document
            : document.WithSyntaxRoot(root.ReplaceNodes(outermost, (original, _) => replacements[original]));
    }

    /// <summary>The invocation a diagnostic points at, its fixed form and the fix's title; null when no fix applies.</summary>
    private static (InvocationExpressionSyntax Invocation, InvocationExpressionSyntax Replacement, string Title)? Rewrite(
        Diagnostic diagnostic, SyntaxNode root, SemanticModel model, PosixSurfaces surfaces, SyntaxGenerator generator,
        System.Threading.CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(DescriptorWithoutCloexecAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || !diagnostic.Properties.TryGetValue(DescriptorWithoutCloexecAnalyzer.FunctionProperty, out var functionName)
            || functionName is null
            || !CloexecFunctions.ByName.TryGetValue(functionName, out var function)
            || root.FindNode(InvocationLocation(diagnostic).SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
            || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
        {
            return null;
        }

        int? ordinal = diagnostic.Properties.TryGetValue(DescriptorWithoutCloexecAnalyzer.FlagParameterProperty, out var ordinalText)
                       && int.TryParse(ordinalText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null;
        if (diagnostic.Properties.ContainsKey(DescriptorWithoutCloexecAnalyzer.WrapperProperty))
        {
            // Through a wrapper the caller's argument is the flags the wrapper passes on: the flag joins it, spelled
            // as the wrapped libc method's surface spells it.
            if (ordinal is not { } wrapperOrdinal
                || !LibcInvocation.TryCreate(surfaces, operation, CloexecFunctions.Names, cancellationToken, out var wrapped)
                || !wrapped.IsWrapped
                || wrapped.Call.Function != function.Function)
            {
                return null;
            }

            return AddToFlags(operation, invocation, wrapperOrdinal, function, surface, wrapped.Target, model, generator) is ({ } fixedCall, { } fixTitle)
                ? (invocation, fixedCall, fixTitle)
                : null;
        }

        var rewrite = ordinal is { } flagOrdinal
            ? AddToFlags(operation, invocation, flagOrdinal, function, surface, operation.TargetMethod, model, generator)
            : ReplaceCall(operation, invocation, function, surface, surfaces, model, generator);
        return rewrite is ({ } replacement, { } title) ? (invocation, replacement, title) : null;
    }

    /// <summary>
    /// The F_SETFL command of <c>fcntl(fd, F_SETFL, FD_CLOEXEC)</c> and the same command spelled F_SETFD: the member
    /// named F_SETFD of the type that declares the F_SETFL used (a project's constant only when it is 2, Linux's
    /// value), or 2 for a literal 4. Null when the call has other flags too, which F_SETFL should keep setting.
    /// </summary>
    private static (ExpressionSyntax Command, ExpressionSyntax Replacement)? SetfdCommand(
        Diagnostic diagnostic, SyntaxNode root, SemanticModel model, PosixSurfaces surfaces, System.Threading.CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.ContainsKey(DescriptorWithoutCloexecAnalyzer.SetfdMeantProperty)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
            || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
            || operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1) is not { ArgumentKind: ArgumentKind.Explicit, Syntax: ArgumentSyntax argument })
        {
            return null;
        }

        var command = argument.Expression;
        if (command is LiteralExpressionSyntax { Token.Value: 4 })
        {
            return (command, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(FSetfd)).WithTriviaFrom(command));
        }

        ExpressionSyntax? replacement = command switch
        {
            IdentifierNameSyntax { Identifier.ValueText: "F_SETFL" } name => name.WithIdentifier(Identifier("F_SETFD")),
            MemberAccessExpressionSyntax { Name: IdentifierNameSyntax { Identifier.ValueText: "F_SETFL" } name } access
                => access.WithName(name.WithIdentifier(Identifier("F_SETFD").WithTriviaFrom(name.Identifier))),
            _ => null,
        };
        if (replacement is null
            || model.GetSymbolInfo(command, cancellationToken).Symbol is not { ContainingType: { } declaringType }
            || model.GetSpeculativeSymbolInfo(command.SpanStart, replacement, SpeculativeBindingOption.BindAsExpression).Symbol is not { Name: "F_SETFD" } setfd
            || !SymbolEqualityComparer.Default.Equals(setfd.ContainingType, declaringType))
        {
            return null;
        }

        // A binding's F_SETFD is its own spelling of the command; a project's constant is trusted only with Linux's value.
        var trusted = surfaces.BindingSurfaceOf(declaringType) is not null
                      || setfd is IFieldSymbol { HasConstantValue: true, ConstantValue: { } value } && IsSetfdValue(value);
        return trusted ? (command, replacement.WithTriviaFrom(command)) : null;
    }

    private static bool IsSetfdValue(object value) => value switch
    {
        int number => number == FSetfd,
        long number => number == FSetfd,
        uint number => number == FSetfd,
        ulong number => number == FSetfd,
        short number => number == FSetfd,
        _ => false,
    };

    /// <summary>The wrapper call a diagnostic at a caller's flags argument names; the diagnostic's own location otherwise.</summary>
    private static Location InvocationLocation(Diagnostic diagnostic)
        => diagnostic.Properties.ContainsKey(DescriptorWithoutCloexecAnalyzer.WrapperProperty) && diagnostic.AdditionalLocations.Count > 0
            ? diagnostic.AdditionalLocations[0]
            : diagnostic.Location;

    /// <summary>
    /// <c>open(path, O_RDWR)</c> -> <c>open(path, O_RDWR | O_CLOEXEC)</c>; a literal 0 becomes the flag alone.
    /// <paramref name="libcMethod"/> is the binding or import that runs, whose surface spells the flag.
    /// </summary>
    private static (InvocationExpressionSyntax, string)? AddToFlags(
        IInvocationOperation operation, InvocationExpressionSyntax invocation, int ordinal, CloexecFunction function,
        PosixSurface surface, IMethodSymbol libcMethod, SemanticModel model, SyntaxGenerator generator)
    {
        var argument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal);
        if (argument is not { ArgumentKind: ArgumentKind.Explicit, Syntax: ArgumentSyntax argumentSyntax, Parameter: { } parameter }
            || Flag(function, parameter.Type, surface, libcMethod, invocation, model) is not { } flag)
        {
            return null;
        }

        var flags = argumentSyntax.Expression;
        var combined = flags is LiteralExpressionSyntax { Token.Value: 0 }
            ? flag
            : (ExpressionSyntax)generator.BitwiseOrExpression(flags.WithoutTrivia(), flag);
        var updated = invocation.ReplaceNode(argumentSyntax, argumentSyntax.WithExpression(combined.WithLeadingTrivia(flags.GetLeadingTrivia()).WithTrailingTrivia(combined.GetTrailingTrivia().AddRange(flags.GetTrailingTrivia()))));
        return Binds(updated, invocation, operation.TargetMethod, model) ? (updated, "Add " + function.Flag + " to the flags") : null;
    }

    /// <summary>pipe -> pipe2, accept -> accept4, dup -> fcntl, ...; Mono's socket without flags gets its flags overload.</summary>
    private static (InvocationExpressionSyntax, string)? ReplaceCall(
        IInvocationOperation operation, InvocationExpressionSyntax invocation, CloexecFunction function,
        PosixSurface surface, PosixSurfaces surfaces, SemanticModel model, SyntaxGenerator generator)
    {
        // Mono.Posix spells epoll_create1 as an epoll_create overload that takes EpollFlags.
        var targetName = surface == PosixSurface.MonoNative && function.Function == "epoll_create"
            ? function.Function
            : function.Replacement ?? function.Function;
        if (function.Function is "creat" or "creat64" || operation.Arguments.Any(a => a.ArgumentKind != ArgumentKind.Explicit || a.Syntax is not ArgumentSyntax { NameColon: null }))
        {
            return null;
        }

        var arguments = invocation.ArgumentList.Arguments.Select(a => a.WithoutTrivia()).ToList();
        foreach (var candidate in Candidates(operation.TargetMethod, targetName, surface, surfaces))
        {
            if (NewArguments(candidate, function, arguments, surface, operation.TargetMethod, invocation, model) is not { } newArguments)
            {
                continue;
            }

            var updated = invocation
                .WithExpression(Renamed(invocation.Expression, candidate.Name))
                .WithArgumentList(ArgumentList(SeparatedList(newArguments)));
            if (Binds(updated, invocation, candidate, model))
            {
                var title = function.Function == "dup"
                    ? "Call fcntl with F_DUPFD_CLOEXEC"
                    : function.Replacement is null
                        ? "Add " + function.Flag + " to the call"
                        : "Call " + targetName + " with " + function.Flag;
                return (updated, title);
            }
        }

        return null;
    }

    /// <summary>The methods of the same surface that call the replacement function.</summary>
    private static IEnumerable<IMethodSymbol> Candidates(IMethodSymbol original, string function, PosixSurface surface, PosixSurfaces surfaces)
    {
        var type = original.ContainingType;
        if (type is null)
        {
            yield break;
        }

        foreach (var member in type.GetMembers())
        {
            if (member is IMethodSymbol method && surfaces.TryGetLibcCall(method, out var call) && call.Function == function && call.Surface == surface)
            {
                yield return method;
            }
        }
    }

    private static List<ArgumentSyntax>? NewArguments(
        IMethodSymbol target, CloexecFunction function, List<ArgumentSyntax> arguments, PosixSurface surface,
        IMethodSymbol original, InvocationExpressionSyntax invocation, SemanticModel model)
    {
        var parameters = target.Parameters;
        if (function.Function == "dup")
        {
            // fcntl(fd, F_DUPFD_CLOEXEC, 0): the lowest free descriptor, as dup would pick.
            if (parameters.Length != 3 || arguments.Count != 1 || Flag(function, parameters[1].Type, surface, original, invocation, model) is not { } command)
            {
                return null;
            }

            return new List<ArgumentSyntax> { arguments[0], Argument(command), Argument(LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))) };
        }

        if (function.Function == "epoll_create" || function.Function == "inotify_init")
        {
            // The size hint of epoll_create has been ignored since Linux 2.6.8; epoll_create1 takes only flags.
            return parameters.Length == 1 && Flag(function, parameters[0].Type, surface, original, invocation, model) is { } only
                ? new List<ArgumentSyntax> { Argument(only) }
                : null;
        }

        // The target takes the original arguments plus the flags, in the position its flags parameter has.
        if (parameters.Length != arguments.Count + 1)
        {
            return null;
        }

        for (var position = 0; position < parameters.Length; position++)
        {
            var parameter = parameters[position];
            var isFlags = surface == PosixSurface.MonoNative
                ? parameter.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType && !enumType.GetMembers(function.Flag).IsEmpty
                : position == parameters.Length - 1;
            if (isFlags && Flag(function, parameter.Type, surface, original, invocation, model) is { } flag)
            {
                var result = new List<ArgumentSyntax>(arguments);
                result.Insert(position, Argument(flag));
                return result;
            }
        }

        return null;
    }

    /// <summary>The flag as the surface spells it: Mono's enum member, Tmds' property, the project's own constant, else a literal.</summary>
    private static ExpressionSyntax? Flag(CloexecFunction function, ITypeSymbol parameterType, PosixSurface surface, IMethodSymbol original, SyntaxNode site, SemanticModel model)
    {
        if (parameterType is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
        {
            return enumType.GetMembers(function.Flag).OfType<IFieldSymbol>().Any()
                ? MemberOf(enumType, function.Flag)
                : null;
        }

        if (surface == PosixSurface.Tmds)
        {
            return original.ContainingType.GetMembers(function.Flag).OfType<IPropertySymbol>().Any()
                ? MemberOf(original.ContainingType, function.Flag)
                : null;
        }

        if (surface == PosixSurface.MonoNative || surface == PosixSurface.MonoLegacy)
        {
            return null;
        }

        foreach (var type in new[] { original.ContainingType, model.GetEnclosingSymbol(site.SpanStart)?.ContainingType })
        {
            if (type?.GetMembers(function.Flag).OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue) is { } constant
                && model.IsAccessible(site.SpanStart, constant))
            {
                return MemberOf(type, function.Flag);
            }
        }

        var literal = function.LinuxValue >= 0x1000
            ? Literal("0x" + function.LinuxValue.ToString("X", CultureInfo.InvariantCulture), (int)function.LinuxValue)
            : Literal((int)function.LinuxValue);
        return LiteralExpression(SyntaxKind.NumericLiteralExpression, literal)
            .WithTrailingTrivia(Space, Comment("/* " + function.Flag + " */"));
    }

    private static ExpressionSyntax MemberOf(INamedTypeSymbol type, string member)
        => MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                ParseTypeName(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)),
                IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation);

    private static ExpressionSyntax Renamed(ExpressionSyntax callee, string name) => callee switch
    {
        MemberAccessExpressionSyntax access => access.WithName(IdentifierName(name).WithTriviaFrom(access.Name)),
        IdentifierNameSyntax identifier => IdentifierName(Identifier(name)).WithTriviaFrom(identifier),
        _ => callee,
    };

    /// <summary>True when the rewritten call, bound where the original stands, calls the intended method.</summary>
    private static bool Binds(InvocationExpressionSyntax updated, InvocationExpressionSyntax original, IMethodSymbol target, SemanticModel model)
    {
        var info = model.GetSpeculativeSymbolInfo(original.SpanStart, updated, SpeculativeBindingOption.BindAsExpression);
        return info.Symbol is IMethodSymbol bound
            && SymbolEqualityComparer.Default.Equals(bound.OriginalDefinition, target.OriginalDefinition);
    }
}
