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
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX2005: where the method builds the spawn attributes itself (<c>posix_spawnattr_init</c>), put SIGPIPE in a
/// default-signal set right after the init and add <c>POSIX_SPAWN_SETSIGDEF</c> to the flags, keeping the flags
/// already set. Offered only when the program can call every function that needs (its own declarations, or
/// Tmds.LibC's <c>sigemptyset</c>/<c>sigaddset</c> for a <c>sigset_t*</c>): no declaration is invented.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InheritedSigpipeFixer))]
[Shared]
public sealed class InheritedSigpipeFixer : CodeFixProvider
{
    public const string SetSigDefaultKey = RuleIds.InheritedSigpipe + ".SetSigDefault";

    private const int PosixSpawnSetSigDef = 0x04;
    private const int Sigpipe = 13;

    /// <summary>glibc's sigset_t: 1024 bits.</summary>
    private const int SigsetBytes = 128;

    private static readonly FunctionSet SpawnFunctions = PosixSurfaces.Functions("posix_spawn", "posix_spawnp");

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.InheritedSigpipe);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(
        async (context, document, diagnostics) => await FixAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

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
            if (Plan(root, model, surfaces, generator, diagnostic, context.CancellationToken) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Reset SIGPIPE to default in the child (POSIX_SPAWN_SETSIGDEF)",
                        cancellationToken => FixAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        SetSigDefaultKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> FixAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var surfaces = PosixSurfaces.Create(editor.SemanticModel.Compilation);
        var planned = new HashSet<StatementSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            // Two spawns from one set of attributes need one reset.
            if (Plan(editor.OriginalRoot, editor.SemanticModel, surfaces, editor.Generator, diagnostic, cancellationToken) is { } plan && planned.Add(plan.Init))
            {
                editor.InsertAfter(plan.Init, plan.Inserted.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)));
                if (plan.Flags is { } flags)
                {
                    editor.ReplaceNode(flags.Old, flags.New);
                }
            }
        }

        return editor.GetChangedDocument();
    }

    private sealed class ResetPlan
    {
        public ResetPlan(StatementSyntax init, IReadOnlyList<StatementSyntax> inserted, (ExpressionSyntax Old, ExpressionSyntax New)? flags)
        {
            Init = init;
            Inserted = inserted;
            Flags = flags;
        }

        /// <summary>The <c>posix_spawnattr_init</c> statement: the reset goes right after it.</summary>
        public StatementSyntax Init { get; }

        public IReadOnlyList<StatementSyntax> Inserted { get; }

        /// <summary>The existing flags argument and its replacement with POSIX_SPAWN_SETSIGDEF added.</summary>
        public (ExpressionSyntax Old, ExpressionSyntax New)? Flags { get; }
    }

    private static ResetPlan? Plan(
        SyntaxNode root, SemanticModel model, PosixSurfaces surfaces, SyntaxGenerator generator, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax spawnSyntax
            || model.GetOperation(spawnSyntax, cancellationToken) is not IInvocationOperation spawn
            || !surfaces.TryGetLibcCall(spawn.TargetMethod, SpawnFunctions, out _)
            || AttributesHolder(OperationFacts.Argument(spawn, 3)) is not { } attributes
            || spawnSyntax.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
        {
            return null;
        }

        // The calls on these attributes in the method: exactly one init, no default set of its own, at most one setflags.
        IInvocationOperation? init = null;
        IInvocationOperation? setFlags = null;
        foreach (var node in member.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (model.GetOperation(node, cancellationToken) is not IInvocationOperation call
                || !surfaces.TryGetLibcCall(call.TargetMethod, out var libc)
                || !SymbolEqualityComparer.Default.Equals(AttributesHolder(OperationFacts.Argument(call, 0)), attributes))
            {
                continue;
            }

            switch (libc.Function)
            {
                case "posix_spawnattr_init" when init is null:
                    init = call;
                    break;
                case "posix_spawnattr_setflags" when setFlags is null:
                    setFlags = call;
                    break;
                case "posix_spawnattr_init":
                case "posix_spawnattr_setflags":
                case "posix_spawnattr_setsigdefault":
                    // A set the program already builds may hold other signals on purpose: its to extend by hand.
                    return null;
            }
        }

        // After the statement that runs the init (`init(a);`, `if (init(a) != 0) throw ...;`), when the spawn follows it
        // in the same block: not when the spawn is inside it (`if (init(a) == 0) { ... spawn ... }`).
        if (init?.Syntax.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax initBlock } initStatement
            || initStatement.Span.Contains(spawnSyntax.Span)
            || initStatement.SpanStart > spawnSyntax.SpanStart
            || !initBlock.Span.Contains(spawnSyntax.Span)
            || init.Syntax.Ancestors().TakeWhile(a => a != initStatement).Any(a => a is AnonymousFunctionExpressionSyntax)
            || initStatement.Ancestors().TakeWhile(a => a != member).Any(a => a is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax)
            || !IsUnsafeContext(initStatement)
            || (setFlags is not null && setFlags.Syntax.SpanStart < initStatement.SpanStart))
        {
            return null;
        }

        var position = initStatement.SpanStart;
        var functions = Declared(model, surfaces, position);
        if (!functions.TryGetValue("posix_spawnattr_setsigdefault", out var setSigDefault)
            || setSigDefault.Parameters.Length != 2
            || setSigDefault.Parameters[1] is not { RefKind: RefKind.None, Type: IPointerTypeSymbol { PointedAtType: var element } setType }
            || !TryGetSetFunction(functions, "sigemptyset", setType, 1, out var sigemptyset)
            || !TryGetSetFunction(functions, "sigaddset", setType, 2, out var sigaddset)
            || (setFlags is null && !functions.ContainsKey("posix_spawnattr_setflags")))
        {
            return null;
        }

        var name = UniqueName(model, member, position, "sigpipeDefault");
        var set = IdentifierName(name);
        StatementSyntax declaration;
        ExpressionSyntax setArgument;
        if (element.IsValueType && element.SpecialType is SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_Int16
            or SpecialType.System_UInt32 or SpecialType.System_Int32 or SpecialType.System_UInt64 or SpecialType.System_Int64)
        {
            // ulong* -> ulong* sigpipeDefault = stackalloc ulong[16]: a whole sigset_t on the stack.
            var count = SigsetBytes / SizeOf(element.SpecialType);
            var elementType = (TypeSyntax)generator.TypeExpression(element);
            declaration = LocalDeclarationStatement(VariableDeclaration(
                PointerType(elementType),
                SingletonSeparatedList(VariableDeclarator(name).WithInitializer(EqualsValueClause(
                    StackAllocArrayCreationExpression(ArrayType(elementType, SingletonList(ArrayRankSpecifier(SingletonSeparatedList<ExpressionSyntax>(
                        LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(count))))))))))));
            setArgument = set;
        }
        else if (element is INamedTypeSymbol { TypeKind: TypeKind.Struct })
        {
            // sigset_t* (Tmds.LibC's struct) -> sigset_t sigpipeDefault = default; ... &sigpipeDefault.
            declaration = LocalDeclarationStatement(VariableDeclaration(
                ((TypeSyntax)generator.TypeExpression(element)).WithAdditionalAnnotations(Simplifier.Annotation),
                SingletonSeparatedList(VariableDeclarator(name).WithInitializer(EqualsValueClause(LiteralExpression(SyntaxKind.DefaultLiteralExpression))))));
            setArgument = PrefixUnaryExpression(SyntaxKind.AddressOfExpression, set);
        }
        else
        {
            return null;
        }

        if (OperationFacts.Argument(init, 0)?.Syntax is not ExpressionSyntax attributesExpression)
        {
            return null;
        }

        var attributesArgument = attributesExpression.WithoutTrivia();
        var sigpipe = NamedConstant(model, position, sigaddset, "SIGPIPE", generator, out _)
            ?? LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(Sigpipe)).WithTrailingTrivia(Space, Comment("/* SIGPIPE */"));
        var inserted = new List<StatementSyntax>
        {
            declaration,
            ExpressionStatement(Call(generator, sigemptyset, setArgument)),
            ExpressionStatement(Call(generator, sigaddset, setArgument, sigpipe)),
            ExpressionStatement(Call(generator, setSigDefault, attributesArgument, setArgument)),
        };

        (ExpressionSyntax Old, ExpressionSyntax New)? flagsEdit = null;
        var flagsMethod = setFlags?.TargetMethod ?? functions["posix_spawnattr_setflags"];
        if (flagsMethod.Parameters.Length != 2 || !IsInteger(flagsMethod.Parameters[1].Type))
        {
            return null;
        }

        var setSigDef = NamedConstant(model, position, flagsMethod, "POSIX_SPAWN_SETSIGDEF", generator, out var setSigDefIsConstant);
        if (setSigDef is null)
        {
            setSigDef = LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal("0x04", PosixSpawnSetSigDef)).WithTrailingTrivia(Space, Comment("/* POSIX_SPAWN_SETSIGDEF */"));
            setSigDefIsConstant = true;
        }

        var flagsType = flagsMethod.Parameters[1].Type;
        if (setFlags is null)
        {
            inserted.Add(ExpressionStatement(Call(generator, flagsMethod, attributesArgument, CastIfNarrow(flagsType, setSigDef, setSigDefIsConstant))));
        }
        else if (OperationFacts.Argument(setFlags, 1) is not { Syntax: ExpressionSyntax flags } flagsValue)
        {
            return null;
        }
        else if (!SignalValues.ContainsFlag(flagsValue, PosixSpawnSetSigDef, surfaces, cancellationToken))
        {
            var flagsConstant = model.GetConstantValue(flags, cancellationToken);
            var combined = flagsConstant is { HasValue: true, Value: 0 or (short)0 or (ushort)0 or 0U or 0L or 0UL }
                ? setSigDef
                : BinaryExpression(SyntaxKind.BitwiseOrExpression, flags.WithoutTrivia(), setSigDef);
            flagsEdit = (flags, CastIfNarrow(flagsType, combined, flagsConstant.HasValue && setSigDefIsConstant).WithTriviaFrom(flags));
        }

        // Flags that already hold POSIX_SPAWN_SETSIGDEF only lacked the set.
        return new ResetPlan(initStatement, inserted, flagsEdit);
    }

    /// <summary>The local or parameter the attributes live in: <c>attributes</c>, <c>&amp;attributes</c>, <c>ref attributes</c>.</summary>
    private static ISymbol? AttributesHolder(IOperation? argument) => SignalValues.SkipConversions(argument) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IAddressOfOperation { Reference: ILocalReferenceOperation local } => local.Local,
        _ => null,
    };

    /// <summary>The program's callable declarations of the functions the reset needs, by libc name.</summary>
    private static Dictionary<string, IMethodSymbol> Declared(SemanticModel model, PosixSurfaces surfaces, int position)
    {
        var wanted = new[] { "posix_spawnattr_setsigdefault", "posix_spawnattr_setflags", "sigemptyset", "sigaddset" };
        var found = new Dictionary<string, IMethodSymbol>(StringComparer.Ordinal);
        var candidates = model.Compilation.GetSymbolsWithName(
            n => n.IndexOf("sig", StringComparison.OrdinalIgnoreCase) >= 0 || n.IndexOf("spawnattr", StringComparison.OrdinalIgnoreCase) >= 0,
            SymbolFilter.Member).OfType<IMethodSymbol>();
        if (model.Compilation.GetTypeByMetadataName("Tmds.Linux.LibC") is { } tmds)
        {
            candidates = candidates.Concat(wanted.SelectMany(w => tmds.GetMembers(w)).OfType<IMethodSymbol>());
        }

        foreach (var method in candidates)
        {
            if (method is { IsStatic: true, MethodKind: MethodKind.Ordinary } && surfaces.TryGetLibcCall(method, out var call)
                && Array.IndexOf(wanted, call.Function) >= 0 && call.Wrapper is null && model.IsAccessible(position, method) && !found.ContainsKey(call.Function))
            {
                found.Add(call.Function, method);
            }
        }

        return found;
    }

    private static bool TryGetSetFunction(Dictionary<string, IMethodSymbol> functions, string function, ITypeSymbol setType, int parameterCount, out IMethodSymbol method)
    {
        method = null!;
        if (!functions.TryGetValue(function, out var found) || found.Parameters.Length != parameterCount
            || !SymbolEqualityComparer.Default.Equals(found.Parameters[0].Type, setType) || found.Parameters[0].RefKind != RefKind.None
            || (parameterCount == 2 && found.Parameters[1].Type.SpecialType != SpecialType.System_Int32))
        {
            return false;
        }

        method = found;
        return true;
    }

    /// <summary>A constant or static property named <paramref name="name"/> next to the function (Tmds: <c>LibC.SIGPIPE</c>).</summary>
    private static ExpressionSyntax? NamedConstant(SemanticModel model, int position, IMethodSymbol near, string name, SyntaxGenerator generator, out bool isConstant)
    {
        isConstant = false;
        foreach (var member in near.ContainingType.GetMembers(name))
        {
            if (member.IsStatic && model.IsAccessible(position, member)
                && member is IFieldSymbol { Type.SpecialType: not SpecialType.None } or IPropertySymbol { GetMethod: not null, Parameters.IsEmpty: true, Type.SpecialType: not SpecialType.None })
            {
                isConstant = member is IFieldSymbol { IsConst: true };
                return ((ExpressionSyntax)generator.MemberAccessExpression(generator.TypeExpression(near.ContainingType), name))
                    .WithAdditionalAnnotations(Simplifier.Annotation);
            }
        }

        return null;
    }

    private static ExpressionSyntax Call(SyntaxGenerator generator, IMethodSymbol method, params ExpressionSyntax[] arguments)
        => InvocationExpression(
            ((ExpressionSyntax)generator.MemberAccessExpression(generator.TypeExpression(method.ContainingType), method.Name)).WithAdditionalAnnotations(Simplifier.Annotation),
            ArgumentList(SeparatedList(arguments.Select(Argument))));

    /// <summary>
    /// <c>short</c> flags: a constant <c>|</c> converts on its own, anything else needs the cast back from <c>int</c>.
    /// </summary>
    private static ExpressionSyntax CastIfNarrow(ITypeSymbol type, ExpressionSyntax value, bool constant)
        => constant || type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_UInt64
            ? value
            : CastExpression(PredefinedType(Token(type.SpecialType == SpecialType.System_UInt16 ? SyntaxKind.UShortKeyword : SyntaxKind.ShortKeyword)), ParenthesizedExpression(value));

    private static bool IsInteger(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64;

    private static int SizeOf(SpecialType type) => type switch
    {
        SpecialType.System_Byte => 1,
        SpecialType.System_Int16 or SpecialType.System_UInt16 => 2,
        SpecialType.System_Int32 or SpecialType.System_UInt32 => 4,
        _ => 8,
    };

    private static bool IsUnsafeContext(SyntaxNode node)
        => node.Ancestors().Any(a => a is UnsafeStatementSyntax
            || (a is MemberDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.UnsafeKeyword))
            || (a is LocalFunctionStatementSyntax local && local.Modifiers.Any(SyntaxKind.UnsafeKeyword)));

    /// <summary>A name no symbol in scope and no local of the member already has.</summary>
    private static string UniqueName(SemanticModel model, MemberDeclarationSyntax member, int position, string name)
    {
        var locals = new HashSet<string>(member.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(v => v.Identifier.ValueText), StringComparer.Ordinal);
        locals.UnionWith(member.DescendantNodes().OfType<SingleVariableDesignationSyntax>().Select(v => v.Identifier.ValueText));
        var candidate = name;
        for (var suffix = 2; locals.Contains(candidate) || !model.LookupSymbols(position, name: candidate).IsEmpty; suffix++)
        {
            candidate = name + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
