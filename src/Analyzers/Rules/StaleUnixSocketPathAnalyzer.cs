using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

/// <summary>PSX4001: a unix socket bound to a path that may still hold the socket file of an earlier run.</summary>
public sealed partial class StaleUnixSocketPathAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        RuleIds.StaleUnixSocketPath,
        "Remove a stale socket file before binding a unix socket to its path",
        "Binding a unix socket to a path fails with EADDRINUSE while an old socket file is there; delete the file before binding",
        RuleCategories.Reliability,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description:
            "bind on a unix-domain socket creates a socket file at the path, and nothing removes it when the process " +
            "exits: not closing the socket, not a crash, not a kill. The next bind to that path fails with EADDRINUSE, so " +
            "a server that ran once cannot start again until someone deletes the file. Delete the path before binding " +
            "(File.Delete or unlink), or first try to connect and delete only when nobody answers. Abstract addresses " +
            "(a leading NUL) have no file and are not reported.",
        helpLinkUri: RuleIds.HelpLink(RuleIds.StaleUnixSocketPath));

    private static readonly FunctionSet BindFunctions = PosixSurfaces.Functions("bind");
    private static readonly FunctionSet RemoveFunctions = PosixSurfaces.Functions("unlink", "unlinkat", "remove");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.NotAnalyzed);
        context.RegisterCompilationStartAction(start =>
        {
            var surfaces = PosixSurfaces.Create(start.Compilation);
            // Resolved at the first call that may be a bind (Socket.Bind or libc bind): most compilations have none.
            var compilation = start.Compilation;
            var types = new Lazy<UnixSocketTypes>(() => new UnixSocketTypes(compilation));
            // Socket.Bind is looked for everywhere; libc's bind only where the project can call it (the gate's answer,
            // which every libc rule has asked for already), or through an extern local function, which the gate does
            // not see: ordinary code then pays one name test per call.
            var libcBind = surfaces.MayCallMatchedFunction;
            // Asked only before a report, about a bind in a method no other assembly can call.
            var callers = new Lazy<CallerVouches>(() => new CallerVouches(new AssemblyCallSites(compilation, surfaces.Summaries), surfaces, types.Value));
            start.RegisterOperationAction(GeneratedCode.OutsideGeneratedMembers(operation => AnalyzeInvocation(operation, surfaces, types, libcBind, callers)), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, PosixSurfaces surfaces, Lazy<UnixSocketTypes> lazyTypes, bool libcBind, Lazy<CallerVouches> callers)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IOperation? address;
        if (invocation.TargetMethod.Name == "Bind" && invocation.Arguments.Length == 1
            && lazyTypes.Value.Socket is { } socket
            && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, socket))
        {
            address = invocation.Arguments[0].Value;
        }
        else if ((libcBind || invocation.TargetMethod.MethodKind == MethodKind.LocalFunction)
            && surfaces.TryGetLibcCall(invocation.TargetMethod, BindFunctions, out _) && invocation.Arguments.Length >= 2
            && !OperationFacts.IsNoDescriptor(invocation.Arguments[0].Value))
        {
            // A constant negative descriptor is no socket: the call fails with EBADF before the path is looked at
            // (Mono.Posix's tests bind -1 on purpose).
            address = invocation.Arguments[1].Value;
        }
        else
        {
            return;
        }

        var types = lazyTypes.Value;
        var body = BodyOf(invocation);
        var unixAddress = UnixAddress(address, body, types);
        if (unixAddress is not { } found || found.IsAbstract || IsUniquePath(found.Path, body, types)
            || RemovesBefore(body, invocation, found.Path, surfaces, types)
            || SetUpRemoves(context.ContainingSymbol, found.Path, body, surfaces, types, context.CancellationToken)
            || callers.Value.AllRemoveBefore(invocation, context.ContainingSymbol, found.Path, context.CancellationToken))
        {
            return;
        }

        IEnumerable<Location> additional = found.Path is { Syntax: { } pathSyntax } ? new[] { pathSyntax.GetLocation() } : Array.Empty<Location>();
        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), additional));
    }

    private readonly struct FoundAddress
    {
        public FoundAddress(IOperation? path, bool isAbstract)
        {
            Path = path;
            IsAbstract = isAbstract;
        }

        /// <summary>The path expression, when the address is built from one in view.</summary>
        public IOperation? Path { get; }

        public bool IsAbstract { get; }
    }

    /// <summary>A unix-domain address whose construction this method shows, or null when it is not (or not known to be) one.</summary>
    private static FoundAddress? UnixAddress(IOperation address, IOperation body, UnixSocketTypes types)
    {
        address = SkipConversions(address);
        if (address is IAddressOfOperation addressOf)
        {
            address = addressOf.Reference;
        }

        if (address is IParameterReferenceOperation parameter && types.IsRawUnixAddress(parameter.Parameter.Type))
        {
            return new FoundAddress(null, MentionsAbstractAddress(body));
        }

        if (address is ILocalReferenceOperation local)
        {
            if (types.IsRawUnixAddress(local.Local.Type))
            {
                // Tmds.LibC's or our own sockaddr_un, filled field by field: a NUL or '@' anywhere in the method
                // may make it abstract, so only a method without one is reported.
                return new FoundAddress(null, MentionsAbstractAddress(body));
            }

            if (SingleCreation(local.Local, body) is not { } creation)
            {
                return null;
            }

            address = creation;
        }

        if (address is not IObjectCreationOperation { Constructor: { } constructor } created
            || !types.IsPathAddress(constructor.ContainingType)
            || created.Arguments.Length == 0)
        {
            return null;
        }

        var path = created.Arguments[0].Value;
        var isAbstract = IsAbstractPath(path);
        foreach (var argument in created.Arguments)
        {
            // Mono's SockaddrUn(path, linuxAbstractNamespace: true).
            if (argument.Value.Type?.SpecialType == SpecialType.System_Boolean
                && argument.Value.ConstantValue is not { HasValue: true, Value: false })
            {
                isAbstract = true;
            }
        }

        return new FoundAddress(path, isAbstract);
    }

    private static IObjectCreationOperation? SingleCreation(ILocalSymbol local, IOperation body)
        => SingleValue(local, body) is { } value ? SkipConversions(value) as IObjectCreationOperation : null;

    /// <summary>
    /// The value of the local's only write in the body, or null when it is written more than once, not at all, or in a
    /// way that names no value (<c>+=</c>, <c>??=</c>, <c>out</c>/<c>ref</c>, deconstruction).
    /// </summary>
    private static IOperation? SingleValue(ILocalSymbol local, IOperation body)
    {
        IOperation? single = null;
        var writes = 0;
        foreach (var operation in OperationTrees.Under(body, OperationKinds.DeclarationsAndAssignments))
        {
            IOperation? value = operation switch
            {
                IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) => declarator.GetVariableInitializer()?.Value,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local) => assignment.Value,
                _ => null,
            };
            if (value is null)
            {
                continue;
            }

            writes++;
            single = value;
        }

        if (writes != 1)
        {
            return null;
        }

        foreach (var operation in OperationTrees.Under(body, OtherWriteKinds))
        {
            if ((operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local) && IsOtherWrite(reference))
                || (operation is IDeclarationPatternOperation pattern && SymbolEqualityComparer.Default.Equals(pattern.DeclaredSymbol, local)))
            {
                return null;
            }
        }

        return single;
    }

    private static readonly OperationKinds OtherWriteKinds = new(OperationKind.LocalReference, OperationKind.DeclarationPattern);

    private static bool IsOtherWrite(ILocalReferenceOperation reference)
    {
        IOperation current = reference;
        while (current.Parent is ITupleOperation or IConversionOperation or IDeclarationExpressionOperation)
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            // `path += ".sock"` appends to the same value: a unique name stays unique.
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } => false,
            ICompoundAssignmentOperation compound => compound.Target == current,
            ICoalesceAssignmentOperation coalesce => coalesce.Target == current,
            IIncrementOrDecrementOperation => true,
            IDeconstructionAssignmentOperation deconstruction => deconstruction.Target == current,
            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.RefKind: RefKind.Ref } } => true,
            ISimpleAssignmentOperation { IsRef: true } => true,
            _ => false,
        };
    }

    /// <summary>
    /// A path made with a fresh random name (<c>Guid.NewGuid()</c>, <c>Path.GetRandomFileName()</c>) or in a fresh
    /// directory (<c>Directory.CreateTempSubdirectory()</c>), directly or through locals written once: no earlier run
    /// can have left a socket file there. Every value the path may take must be such a path: a configured path with a
    /// random fallback (<c>configured ?? Path.Combine(tmp, Guid.NewGuid() + ".sock")</c>) is not.
    /// </summary>
    private static bool IsUniquePath(IOperation? path, IOperation body, UnixSocketTypes types)
        => path is not null && IsUnique(path, body, types, 0);

    private static bool IsUnique(IOperation value, IOperation body, UnixSocketTypes types, int depth)
    {
        if (depth > MaxUniquePathDepth)
        {
            return false;
        }

        switch (value)
        {
            case IConversionOperation conversion:
                return IsUnique(conversion.Operand, body, types, depth);
            case IInvocationOperation call:
                if (types.MakesUniqueName(call.TargetMethod))
                {
                    return true;
                }

                // guid.ToString("N"): the instance's name. Path.Combine(dir, name), Path.Join, string.Concat and
                // string.Format: a unique part makes the whole unique. Any other call may drop it (GetDirectoryName)
                // or choose another value (a lookup with a random default).
                if (call.TargetMethod.Name == "ToString")
                {
                    return call.Instance is { } instance && IsUnique(instance, body, types, depth + 1);
                }

                // Shortened or reshaped, a random name stays one: Substring(0, 8) for sun_path's 108 bytes, Replace("-", ""),
                // ChangeExtension(name, "sock").
                if (types.KeepsName(call.TargetMethod))
                {
                    return (call.Instance ?? OperationFacts.Argument(call, 0)) is { } named && IsUnique(named, body, types, depth + 1);
                }

                if (!types.JoinsPath(call.TargetMethod))
                {
                    return false;
                }

                foreach (var argument in call.Arguments)
                {
                    if (IsUnique(argument.Value, body, types, depth + 1))
                    {
                        return true;
                    }
                }

                return false;
            case IArrayCreationOperation { Initializer: { } initializer }:
                foreach (var element in initializer.ElementValues)
                {
                    if (IsUnique(element, body, types, depth + 1))
                    {
                        return true;
                    }
                }

                return false;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation:
                return IsUnique(concatenation.LeftOperand, body, types, depth + 1) || IsUnique(concatenation.RightOperand, body, types, depth + 1);
            case IInterpolatedStringOperation interpolated:
                foreach (var part in interpolated.Parts)
                {
                    if (part is IInterpolationOperation interpolation && IsUnique(interpolation.Expression, body, types, depth + 1))
                    {
                        return true;
                    }
                }

                return false;
            case IPropertyReferenceOperation { Property.Name: "FullName", Instance: { } owner }:
                // A fresh folder's own path (DirectoryInfo.Parent would leave it).
                return IsUnique(owner, body, types, depth + 1);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return IsUnique(conditional.WhenTrue, body, types, depth + 1) && IsUnique(whenFalse, body, types, depth + 1);
            case ICoalesceOperation coalesce:
                return IsUnique(coalesce.Value, body, types, depth + 1) && IsUnique(coalesce.WhenNull, body, types, depth + 1);
            case ILocalReferenceOperation local:
                return SingleValue(local.Local, body) is { } assigned && IsUnique(assigned, body, types, depth + 1);
            default:
                return false;
        }
    }

    private const int MaxUniquePathDepth = 8;

    /// <summary>
    /// A test class's per-test set-up removes the path first (MSTest's <c>[TestInitialize]</c>, NUnit's <c>[SetUp]</c>, or
    /// the constructor of an xUnit class, which runs before each <c>[Fact]</c>): Mono.Posix's socket tests bind
    /// <c>TempFolder + "/socket2"</c> after their set-up ran <c>Directory.Delete(TempFolder, true)</c>. The set-up
    /// deletes the bound path itself (the same field or property of the test class, a <c>FileInfo</c> one, or the same
    /// path built the same way), or recursively a folder the path is built in (a member, a <c>DirectoryInfo</c> one, or
    /// a folder built from the same parts).
    /// </summary>
    private static bool SetUpRemoves(ISymbol containing, IOperation? path, IOperation body, PosixSurfaces surfaces, UnixSocketTypes types, CancellationToken cancellationToken)
    {
        while (containing is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction })
        {
            containing = containing.ContainingSymbol;
        }

        if (path is null || containing is not IMethodSymbol { IsStatic: false } boundIn || boundIn.ContainingType is not { } type)
        {
            return false;
        }

        // Through locals written once: `var path = TempFolder + "/socket2";`.
        for (var depth = 0; depth < 3 && SkipConversions(path) is ILocalReferenceOperation local; depth++)
        {
            if (SingleValue(local.Local, body) is not { } value)
            {
                return false;
            }

            path = value;
        }

        // `..` may leave the deleted folder; a member the test itself assigns is not the one the set-up saw.
        if (MentionsParentFolder(path) || AssignsMemberOf(path, body))
        {
            return false;
        }

        var file = TestClassMember(path, type, types);
        var folder = file is null ? FolderMember(path, type, types) : null;
        var xunitClass = IsXunitTestClass(type);
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member is IMethodSymbol { IsStatic: false } setUp
                    && !SymbolEqualityComparer.Default.Equals(setUp, boundIn)
                    && (HasAttribute(setUp, "TestInitialize", "SetUp") || (xunitClass && setUp.MethodKind == MethodKind.Constructor))
                    && BodyOf(setUp, surfaces, cancellationToken) is { } setUpBody
                    && Removes(setUpBody, path, file, folder, type, surfaces, types))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool MentionsParentFolder(IOperation path)
    {
        foreach (var operation in OperationWalk.WithSelf(path))
        {
            if (operation.ConstantValue is { HasValue: true, Value: string text } && text.Contains(".."))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the method around <paramref name="body"/> writes a field or property the path is built from.</summary>
    private static bool AssignsMemberOf(IOperation path, IOperation body)
    {
        List<ISymbol>? members = null;
        foreach (var operation in OperationWalk.WithSelf(path))
        {
            if (operation is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } reference)
            {
                (members ??= new List<ISymbol>()).Add(reference.Member.OriginalDefinition);
            }
        }

        if (members is null)
        {
            return false;
        }

        var root = body;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        foreach (var operation in OperationWalk.WithSelf(root))
        {
            if (operation is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } reference
                && members.Contains(reference.Member.OriginalDefinition, SymbolEqualityComparer.Default)
                && IsWritten(reference))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWritten(IOperation reference)
    {
        var current = reference;
        while (current.Parent is ITupleOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            ISimpleAssignmentOperation assignment => assignment.Target == current,
            ICompoundAssignmentOperation compound => compound.Target == current,
            ICoalesceAssignmentOperation coalesce => coalesce.Target == current,
            IIncrementOrDecrementOperation => true,
            IDeconstructionAssignmentOperation deconstruction => deconstruction.Target == current,
            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
            _ => false,
        };
    }

    /// <summary>
    /// A field or property of the test class (or a base), read on this instance or statically; a <c>FileInfo</c> or
    /// <c>DirectoryInfo</c> member also stands for its <c>FullName</c>.
    /// </summary>
    private static ISymbol? TestClassMember(IOperation value, INamedTypeSymbol testClass, UnixSocketTypes types)
    {
        value = SkipConversions(value);
        if (value is IPropertyReferenceOperation { Property.Name: "FullName", Instance: { } info }
            && (types.IsFile(info.Type as INamedTypeSymbol) || types.IsDirectory(info.Type as INamedTypeSymbol)))
        {
            value = SkipConversions(info);
        }

        if (value is not IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } reference
            || reference.Instance is not (null or IInstanceReferenceOperation))
        {
            return null;
        }

        for (var current = testClass; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(reference.Member.ContainingType.OriginalDefinition, current.OriginalDefinition))
            {
                return reference.Member.OriginalDefinition;
            }
        }

        return null;
    }

    /// <summary>The member a path is built in: <c>Folder + "/x"</c>, <c>$"{Folder}/x"</c>, <c>Path.Combine(Folder, "x")</c>.</summary>
    private static ISymbol? FolderMember(IOperation path, INamedTypeSymbol testClass, UnixSocketTypes types)
    {
        var first = SkipConversions(path) switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation when Separated(concatenation.LeftOperand, concatenation.RightOperand)
                => concatenation.LeftOperand,
            IInterpolatedStringOperation { Parts: { Length: > 1 } parts }
                when parts[0] is IInterpolationOperation interpolation
                     && parts[1] is IInterpolatedStringTextOperation { Text.ConstantValue: { HasValue: true, Value: string next } }
                     && next.StartsWith("/", StringComparison.Ordinal)
                => interpolation.Expression,
            IInvocationOperation { TargetMethod.Name: "Combine" or "Join", Arguments.Length: > 0 } call when call.TargetMethod.ContainingType?.Name == "Path"
                => OperationFacts.Argument(call, 0) is { } head && head.Type is not IArrayTypeSymbol && !HasRootedPart(call) ? head : null,
            _ => null,
        };
        return first is null ? null : TestClassMember(first, testClass, types) ?? FolderMember(first, testClass, types);
    }

    /// <summary>An xUnit class: some method has xUnit's [Fact] or [Theory] (NUnit's [Theory] runs in a fixture built once).</summary>
    private static bool IsXunitTestClass(INamedTypeSymbol type)
    {
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol method)
            {
                continue;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass is not { } attributeClass)
                {
                    continue;
                }

                // Without a reference to xUnit the attribute does not bind: only its name is known, and [Fact] is xUnit's.
                // Bound, it is xUnit's FactAttribute or one derived from it ([Theory], [ConditionalFact], [SkippableFact]).
                if (attributeClass.TypeKind == TypeKind.Error)
                {
                    if (attributeClass.Name is "Fact" or "FactAttribute")
                    {
                        return true;
                    }

                    continue;
                }

                for (var candidate = attributeClass; candidate is not null; candidate = candidate.BaseType)
                {
                    if (candidate.Name == "FactAttribute" && candidate.ContainingNamespace?.ToDisplayString() == "Xunit")
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>By the attribute's name, as written or with its suffix: the test framework need not be referenced for it to bind.</summary>
    private static bool HasAttribute(IMethodSymbol method, string first, string second)
    {
        foreach (var attribute in method.GetAttributes())
        {
            var name = attribute.AttributeClass?.Name;
            if (name is null)
            {
                continue;
            }

            if (name.EndsWith("Attribute", System.StringComparison.Ordinal))
            {
                name = name.Substring(0, name.Length - "Attribute".Length);
            }

            if (name == first || name == second)
            {
                return true;
            }
        }

        return false;
    }

    private static IOperation? BodyOf(IMethodSymbol method, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        if (method.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var declaration = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        return surfaces.Summaries.ModelOf(declaration.SyntaxTree)?.GetOperation(declaration, cancellationToken);
    }

    /// <summary>
    /// The set-up deletes the file (<paramref name="file"/>, or the same built path) or, recursively, the folder
    /// (<paramref name="folder"/>, or one the path is built under).
    /// </summary>
    private static bool Removes(IOperation body, IOperation path, ISymbol? file, ISymbol? folder, INamedTypeSymbol testClass, PosixSurfaces surfaces, UnixSocketTypes types)
    {
        foreach (var operation in OperationWalk.WithSelf(body))
        {
            if (operation is not IInvocationOperation call || !IsRemoval(call, surfaces, types))
            {
                continue;
            }

            // `_socket.Delete()`, `_folder.Delete(true)`: the FileInfo or DirectoryInfo member is what is removed.
            var removed = call.Instance is { } instance && TestClassMember(instance, testClass, types) is not null
                ? instance
                : RemovedPath(call, surfaces, types);
            if (removed is null)
            {
                continue;
            }

            var isFolder = types.IsDirectory(call.TargetMethod.ContainingType);
            var member = TestClassMember(removed, testClass, types);
            if ((member is not null && SymbolEqualityComparer.Default.Equals(member, isFolder ? folder : file))
                || (isFolder ? BuiltUnder(path, removed, types, 0) : SameBuiltPath(removed, path, types)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The path is built inside the folder: <c>Path.Combine(a, b, "s.sock")</c> or <c>Path.Combine(Path.Combine(a, b),
    /// "s.sock")</c> under <c>Path.Combine(a, b)</c>, <c>Root + "/run" + "/s.sock"</c> under <c>Root + "/run"</c>; not
    /// when a later part is rooted, which Path.Combine takes instead of the folder, nor <c>Root + "x"</c>, a sibling.
    /// </summary>
    private static bool BuiltUnder(IOperation path, IOperation folder, UnixSocketTypes types, int depth)
    {
        path = SkipConversions(path);
        if (depth > 4)
        {
            return false;
        }

        switch (path)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation:
                // `Root + "/s.sock"` is in Root; `Root + "s.sock"` is a sibling of it.
                return (SameBuiltPath(concatenation.LeftOperand, folder, types) && Separated(concatenation.LeftOperand, concatenation.RightOperand))
                    || BuiltUnder(concatenation.LeftOperand, folder, types, depth + 1);
            case IInvocationOperation { TargetMethod.Name: "Combine" or "Join", Instance: null } combine when types.JoinsPath(combine.TargetMethod):
                var parts = PathParts(combine);
                if (parts.IsDefaultOrEmpty || HasRootedPart(combine))
                {
                    return false;
                }

                var folderParts = SkipConversions(folder) is IInvocationOperation { TargetMethod.Name: "Combine" or "Join", Instance: null } folderCombine
                    && types.JoinsPath(folderCombine.TargetMethod)
                    ? PathParts(folderCombine)
                    : default;
                if (!folderParts.IsDefaultOrEmpty && folderParts.Length < parts.Length && SamePrefix(parts, folderParts, types))
                {
                    return true;
                }

                return SameBuiltPath(parts[0], folder, types) || BuiltUnder(parts[0], folder, types, depth + 1);
            default:
                return false;
        }
    }

    /// <summary>The text after <paramref name="head"/> is in it: it starts with '/', or the head ends with one.</summary>
    private static bool Separated(IOperation head, IOperation next)
    {
        if (next.ConstantValue is { HasValue: true, Value: string text } && text.StartsWith("/", StringComparison.Ordinal))
        {
            return true;
        }

        head = SkipConversions(head);
        var tail = head is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } last ? last.RightOperand : head;
        return tail.ConstantValue is { HasValue: true, Value: string ending } && ending.EndsWith("/", StringComparison.Ordinal);
    }

    /// <summary>A constant part after the first starts with '/': Path.Combine then drops the parts before it (Path.Join keeps them).</summary>
    private static bool HasRootedPart(IInvocationOperation combine)
    {
        if (combine.TargetMethod.Name != "Combine")
        {
            return false;
        }

        var parts = PathParts(combine);
        for (var i = 1; !parts.IsDefault && i < parts.Length; i++)
        {
            if (parts[i].ConstantValue is { HasValue: true, Value: string part } && part.StartsWith("/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Path.Combine's parts in order, from its separate arguments or its params array.</summary>
    private static ImmutableArray<IOperation> PathParts(IInvocationOperation combine)
    {
        if (combine.Arguments.Length == 1 && combine.Arguments[0].Value is IArrayCreationOperation { Initializer: { } initializer })
        {
            return initializer.ElementValues;
        }

        var parts = ImmutableArray.CreateBuilder<IOperation>(combine.Arguments.Length);
        for (var i = 0; i < combine.Arguments.Length; i++)
        {
            if (OperationFacts.Argument(combine, i) is not { } part || part.Type is IArrayTypeSymbol)
            {
                return default;
            }

            parts.Add(part);
        }

        return parts.MoveToImmutable();
    }

    private static bool SamePrefix(ImmutableArray<IOperation> parts, ImmutableArray<IOperation> prefix, UnixSocketTypes types)
    {
        for (var i = 0; i < prefix.Length; i++)
        {
            if (!SameBuiltPath(parts[i], prefix[i], types))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The same path built the same way from the same members and constants: the set-up's
    /// <c>File.Delete(Path.Combine(_tmp, "s.sock"))</c> and the test's <c>Path.Combine(_tmp, "s.sock")</c>.
    /// </summary>
    private static bool SameBuiltPath(IOperation left, IOperation right, UnixSocketTypes types)
    {
        left = SkipConversions(left);
        right = SkipConversions(right);
        switch (left, right)
        {
            case (IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } a, IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } b):
                return SameBuiltPath(a.LeftOperand, b.LeftOperand, types) && SameBuiltPath(a.RightOperand, b.RightOperand, types);
            // Only calls that give the same path for the same arguments: a helper of the project may count up or draw a
            // random name, and its two calls are two paths.
            case (IInvocationOperation a, IInvocationOperation b)
                when SymbolEqualityComparer.Default.Equals(a.TargetMethod, b.TargetMethod) && a.Instance is null && b.Instance is null
                     && a.Arguments.Length == b.Arguments.Length && types.BuildsPathFromArguments(a.TargetMethod):
                for (var i = 0; i < a.Arguments.Length; i++)
                {
                    if (!SameBuiltPath(a.Arguments[i].Value, b.Arguments[i].Value, types))
                    {
                        return false;
                    }
                }

                return true;
            case (IArrayCreationOperation { Initializer: { } a }, IArrayCreationOperation { Initializer: { } b }) when a.ElementValues.Length == b.ElementValues.Length:
                for (var i = 0; i < a.ElementValues.Length; i++)
                {
                    if (!SameBuiltPath(a.ElementValues[i], b.ElementValues[i], types))
                    {
                        return false;
                    }
                }

                return true;
            case (IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } a, IMemberReferenceOperation b):
                return a.Instance is null or IInstanceReferenceOperation && b.Instance is null or IInstanceReferenceOperation
                    && SymbolEqualityComparer.Default.Equals(a.Member, b.Member);
            default:
                return left.ConstantValue is { HasValue: true, Value: string x } && right.ConstantValue is { HasValue: true, Value: string y } && x == y;
        }
    }

    /// <summary>What a removal removes: File.Delete's and unlink's path, unlinkat's second argument, a FileInfo's or DirectoryInfo's own path.</summary>
    private static IOperation? RemovedPath(IInvocationOperation call, PosixSurfaces surfaces, UnixSocketTypes types)
    {
        if (call.Instance is IObjectCreationOperation { Arguments.Length: > 0 } info)
        {
            return info.Arguments[0].Value;
        }

        if (call.Instance is not null)
        {
            return null;
        }

        var ordinal = surfaces.TryGetLibcCall(call.TargetMethod, RemoveFunctions, out var libc) && libc.Function == "unlinkat" ? 1 : 0;
        return OperationFacts.Argument(call, ordinal);
    }

    /// <summary>
    /// A removal of a file, or a recursive one of a folder, which takes its files along. A plain Directory.Delete
    /// fails on a folder that still holds the stale socket, and code that swallows that binds into EADDRINUSE.
    /// </summary>
    private static bool IsRemoval(IInvocationOperation call, PosixSurfaces surfaces, UnixSocketTypes types)
    {
        var method = call.TargetMethod;
        if (method.Name == "Delete")
        {
            if (types.IsFile(method.ContainingType))
            {
                return true;
            }

            if (types.IsDirectory(method.ContainingType))
            {
                // Directory.Delete(path, recursive) and DirectoryInfo.Delete(recursive), in any argument order.
                foreach (var argument in call.Arguments)
                {
                    if (argument.Parameter?.Name == "recursive")
                    {
                        return argument.Value.ConstantValue is { HasValue: true, Value: true };
                    }
                }

                return false;
            }
        }

        return surfaces.TryGetLibcCall(method, RemoveFunctions, out _);
    }

    /// <summary>
    /// A leading NUL: Linux's abstract namespace. A leading '@' is only how tools print one: UnixDomainSocketEndPoint
    /// binds "@name" as a file of that name (bound and checked on .NET 10), and so do Mono's UnixEndPoint and SockaddrUn,
    /// which copy the path's bytes as they are (SockaddrUn is abstract only through its flag).
    /// </summary>
    private static bool IsAbstractPath(IOperation path)
    {
        path = SkipConversions(path);
        while (path is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation)
        {
            path = SkipConversions(concatenation.LeftOperand);
        }

        if (path is IInterpolatedStringOperation interpolated && interpolated.Parts.Length > 0)
        {
            path = interpolated.Parts[0] is IInterpolatedStringTextOperation text ? text.Text : interpolated.Parts[0];
        }

        return path.ConstantValue is { HasValue: true, Value: string value } && value.Length > 0 && value[0] == '\0';
    }

    private static bool MentionsAbstractAddress(IOperation body)
    {
        foreach (var operation in OperationTrees.Under(body))
        {
            if (operation.ConstantValue is { HasValue: true, Value: string text } && text.Length > 0 && text[0] is '\0' or '@')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the method removes a file before the bind: File.Delete, FileInfo.Delete, unlink (any surface), or a
    /// helper of this project handed the same path. A check on one branch counts: the connect-first pattern deletes
    /// only when nobody answers. <paramref name="bind"/> may also be a call to a method that binds, in one of its
    /// callers (<see cref="CallerVouches"/>), with <paramref name="path"/> the argument that becomes the bound path.
    /// </summary>
    private static bool RemovesBefore(IOperation body, IInvocationOperation bind, IOperation? path, PosixSurfaces surfaces, UnixSocketTypes types)
    {
        var bindStart = bind.Syntax.SpanStart;
        foreach (var call in OperationTrees.InvocationsUnder(body))
        {
            if (call.Syntax.SpanStart >= bindStart)
            {
                continue;
            }

            var method = call.TargetMethod;
            if (IsRemoval(call, surfaces, types))
            {
                return true;
            }

            if (path is not null && !method.DeclaringSyntaxReferences.IsEmpty)
            {
                foreach (var argument in call.Arguments)
                {
                    if (SameValue(argument.Value, path))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool SameValue(IOperation left, IOperation right)
    {
        left = SkipConversions(left);
        right = SkipConversions(right);
        return (left, right) switch
        {
            (ILocalReferenceOperation a, ILocalReferenceOperation b) => SymbolEqualityComparer.Default.Equals(a.Local, b.Local),
            (IParameterReferenceOperation a, IParameterReferenceOperation b) => SymbolEqualityComparer.Default.Equals(a.Parameter, b.Parameter),
            (IFieldReferenceOperation a, IFieldReferenceOperation b) => SymbolEqualityComparer.Default.Equals(a.Field, b.Field),
            (IPropertyReferenceOperation a, IPropertyReferenceOperation b) => SymbolEqualityComparer.Default.Equals(a.Property, b.Property),
            _ => left.ConstantValue is { HasValue: true, Value: string a } && right.ConstantValue is { HasValue: true, Value: string b } && a == b,
        };
    }

    private static IOperation BodyOf(IOperation operation)
    {
        var current = operation;
        while (current.Parent is { } parent)
        {
            current = parent;
            if (current is ILocalFunctionOperation or IAnonymousFunctionOperation)
            {
                break;
            }
        }

        return current;
    }

    private static IOperation SkipConversions(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    private sealed class UnixSocketTypes
    {
        private readonly INamedTypeSymbol? _unixDomainSocketEndPoint;
        private readonly INamedTypeSymbol? _monoUnixEndPoint;
        private readonly INamedTypeSymbol? _monoSockaddrUn;
        private readonly INamedTypeSymbol? _tmdsSockaddrUn;
        private readonly INamedTypeSymbol? _file;
        private readonly INamedTypeSymbol? _fileInfo;
        private readonly INamedTypeSymbol? _directory;
        private readonly INamedTypeSymbol? _directoryInfo;
        private readonly INamedTypeSymbol? _guid;
        private readonly INamedTypeSymbol? _path;

        public UnixSocketTypes(Compilation compilation)
        {
            Socket = compilation.GetTypeByMetadataName("System.Net.Sockets.Socket");
            _unixDomainSocketEndPoint = compilation.GetTypeByMetadataName("System.Net.Sockets.UnixDomainSocketEndPoint");
            _monoUnixEndPoint = compilation.GetTypeByMetadataName("Mono.Unix.UnixEndPoint");
            _monoSockaddrUn = compilation.GetTypeByMetadataName("Mono.Unix.Native.SockaddrUn");
            _tmdsSockaddrUn = compilation.GetTypeByMetadataName("Tmds.Linux.sockaddr_un");
            _file = compilation.GetTypeByMetadataName("System.IO.File");
            _fileInfo = compilation.GetTypeByMetadataName("System.IO.FileInfo");
            _directory = compilation.GetTypeByMetadataName("System.IO.Directory");
            _directoryInfo = compilation.GetTypeByMetadataName("System.IO.DirectoryInfo");
            _guid = compilation.GetTypeByMetadataName("System.Guid");
            _path = compilation.GetTypeByMetadataName("System.IO.Path");
        }

        public INamedTypeSymbol? Socket { get; }

        /// <summary>Addresses constructed from a path string.</summary>
        public bool IsPathAddress(INamedTypeSymbol? type)
            => Is(type, _unixDomainSocketEndPoint) || Is(type, _monoUnixEndPoint) || Is(type, _monoSockaddrUn);

        /// <summary>sockaddr_un structs filled by hand: Tmds.LibC's, or the project's own (a struct with a sun_path field).</summary>
        public bool IsRawUnixAddress(ITypeSymbol? type)
            => type is INamedTypeSymbol { TypeKind: TypeKind.Struct } named
               && (Is(named, _tmdsSockaddrUn) || (named.Locations.Length > 0 && named.Locations[0].IsInSource && !named.GetMembers("sun_path").IsEmpty));

        /// <summary>File or FileInfo, whose <c>Delete</c> removes a socket's file.</summary>
        public bool IsFile(INamedTypeSymbol? type) => Is(type, _file) || Is(type, _fileInfo);

        /// <summary>Directory or DirectoryInfo, whose recursive <c>Delete</c> removes the files inside.</summary>
        public bool IsDirectory(INamedTypeSymbol? type) => Is(type, _directory) || Is(type, _directoryInfo);

        /// <summary>
        /// A static method whose result depends on its arguments only (or on the machine, not the call): Path's builders,
        /// string.Concat and Format, Environment.GetFolderPath and GetEnvironmentVariable.
        /// </summary>
        public bool BuildsPathFromArguments(IMethodSymbol method)
            => JoinsPath(method)
               || (Is(method.ContainingType, _path)
                   && method.Name is "GetTempPath" or "GetFullPath" or "GetDirectoryName" or "ChangeExtension" or "GetFileName" or "GetFileNameWithoutExtension")
               || (method.ContainingType is { Name: "Environment", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } }
                   && method.Name is "GetFolderPath" or "GetEnvironmentVariable");

        /// <summary>Path.Combine, Path.Join, string.Concat, string.Format: a path made of its parts.</summary>
        public bool JoinsPath(IMethodSymbol method)
            => method.Name switch
            {
                "Combine" or "Join" => Is(method.ContainingType, _path),
                "Concat" or "Format" => method.ContainingType?.SpecialType == SpecialType.System_String,
                _ => false,
            };

        /// <summary>String methods that reshape a name (its instance) and Path's that keep the file's name (their first argument).</summary>
        public bool KeepsName(IMethodSymbol method)
            => method.ContainingType?.SpecialType == SpecialType.System_String && !method.IsStatic
                ? method.Name is "Substring" or "Replace" or "ToLower" or "ToUpper" or "ToLowerInvariant" or "ToUpperInvariant" or "Trim" or "TrimEnd" or "TrimStart"
                : method.Name is "ChangeExtension" or "GetFullPath" && Is(method.ContainingType, _path);

        /// <summary>Guid.NewGuid, Path.GetRandomFileName and Directory.CreateTempSubdirectory: a name no earlier run used.</summary>
        public bool MakesUniqueName(IMethodSymbol method)
            => method.Name switch
            {
                "NewGuid" => Is(method.ContainingType, _guid),
                "GetRandomFileName" => Is(method.ContainingType, _path),
                "CreateTempSubdirectory" => Is(method.ContainingType, _directory),
                _ => false,
            };

        private static bool Is(INamedTypeSymbol? type, INamedTypeSymbol? known)
            => known is not null && SymbolEqualityComparer.Default.Equals(type, known);
    }
}
