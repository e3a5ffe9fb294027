using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// Whether a compilation can call native code at all, and whether it can call a function some rule matches
/// (<see cref="MatchedFunctions"/>). Decided once per compilation, before the rules register their actions, so that
/// ordinary code (nearly every project that references the package) pays for no per-operation callback.
/// </summary>
/// <remarks>
/// A libc function is reachable through a binding (Tmds.LibC, Mono.Posix), through a P/Invoke declared in the
/// compilation's own source, or through an accessible P/Invoke of a referenced project or assembly. Source and
/// referenced projects are read at the declaration level, without binding: an <c>extern</c> or <c>partial</c> method
/// with attributes is a P/Invoke candidate, named by a literal <c>EntryPoint = "..."</c> or by itself; an entry point
/// that is not a literal may be anything, so it opens the gate. Referenced assemblies outside the framework are read
/// from their metadata (the P/Invoke import names). Each syntax tree and each reference is read once and remembered:
/// they outlive the compilations of a project, so an edit costs the scan of the edited tree. Not seen: an <c>extern</c> local function that
/// is a compilation's only P/Invoke.
/// </remarks>
internal sealed class NativeReach
{
    private static readonly ConditionalWeakTable<AssemblyMetadata, DeclaredImports> MetadataImports = new();
    private static readonly ConditionalWeakTable<MetadataReference, DeclaredImports> ReferenceImports = new();
    private static readonly ConditionalWeakTable<SyntaxTree, DeclaredImports> TreeImports = new();

    // Public key tokens of the framework's assemblies (Microsoft, ECMA, .NET Core, ASP.NET): their P/Invokes are the
    // runtime's own and not callable from user code, and reading them would cost time on every compilation.
    private static readonly string[] FrameworkKeyTokens =
    {
        "b03f5f7f11d50a3a", "b77a5c561934e089", "31bf3856ad364e35", "cc7b13ffcd2ddd51", "7cec85d7bea7798e", "adb9793829ddae60",
    };

    private NativeReach(bool mayCallNative, bool mayCallMatchedFunction)
    {
        MayCallNative = mayCallNative;
        MayCallMatchedFunction = mayCallMatchedFunction;
    }

    /// <summary>Some P/Invoke or binding function can be called: errno reads may follow a native call.</summary>
    public bool MayCallNative { get; }

    /// <summary>Some function of <see cref="MatchedFunctions"/> can be called (or a P/Invoke whose entry point is not a literal).</summary>
    public bool MayCallMatchedFunction { get; }

    public static NativeReach Of(Compilation compilation, bool bindingReferenced)
    {
        if (bindingReferenced)
        {
            return new NativeReach(mayCallNative: true, mayCallMatchedFunction: true);
        }

        var native = false;
        foreach (var imports in ImportsVisibleTo(compilation))
        {
            native |= imports.Any;
            if (imports.MayMatch)
            {
                return new NativeReach(mayCallNative: true, mayCallMatchedFunction: true);
            }
        }

        return new NativeReach(native, mayCallMatchedFunction: false);
    }

    private static IEnumerable<DeclaredImports> ImportsVisibleTo(Compilation compilation)
    {
        yield return ScanSource(compilation);
        foreach (var reference in compilation.References)
        {
            if (reference is CompilationReference project)
            {
                yield return ScanSource(project.Compilation);
            }
            else
            {
                // The same reference objects come back in every compilation of a project: read each one once.
                yield return ReferenceImports.GetValue(reference, r => ScanReference(compilation, r));
            }
        }
    }

    private static DeclaredImports ScanReference(Compilation compilation, MetadataReference reference)
        => compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly
            && !IsFramework(assembly.Identity) && assembly.GetMetadata() is { } metadata
                ? MetadataImports.GetValue(metadata, ScanMetadata)
                : DeclaredImports.None;

    private static bool IsFramework(AssemblyIdentity identity)
    {
        if (!identity.HasPublicKey && identity.PublicKeyToken.IsDefaultOrEmpty)
        {
            return false;
        }

        var token = identity.PublicKeyToken;
        var text = new char[token.Length * 2];
        for (var i = 0; i < token.Length; i++)
        {
            text[2 * i] = HexDigit(token[i] >> 4);
            text[(2 * i) + 1] = HexDigit(token[i] & 0xF);
        }

        return Array.IndexOf(FrameworkKeyTokens, new string(text)) >= 0;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);

    private static DeclaredImports ScanSource(Compilation compilation)
    {
        var any = false;
        foreach (var tree in compilation.SyntaxTrees)
        {
            // Trees outlive compilations (an edit replaces one tree, the others are shared): each is read once.
            var imports = TreeImports.GetValue(tree, ScanTree);
            if (imports.MayMatch)
            {
                return DeclaredImports.Matching;
            }

            any |= imports.Any;
        }

        return any ? DeclaredImports.Unmatched : DeclaredImports.None;
    }

    private static DeclaredImports ScanTree(SyntaxTree tree)
    {
        var any = false;

        // Members only, never bodies: the walk visits namespaces, types and their member declarations.
        foreach (var node in tree.GetRoot().DescendantNodes(node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
        {
            if (node is not MethodDeclarationSyntax { AttributeLists.Count: > 0 } method || !MayBePInvoke(method.Modifiers))
            {
                continue;
            }

            any = true;
            var entryPoint = EntryPointOf(method);
            if (entryPoint is null || MatchedFunctions.All.Contains(entryPoint))
            {
                return DeclaredImports.Matching;
            }
        }

        return any ? DeclaredImports.Unmatched : DeclaredImports.None;
    }

    private static bool MayBePInvoke(SyntaxTokenList modifiers)
        => modifiers.Any(SyntaxKind.ExternKeyword) || modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary>The literal entry point, the method's own name without one, or null when the entry point is computed.</summary>
    private static string? EntryPointOf(MethodDeclarationSyntax method)
    {
        foreach (var list in method.AttributeLists)
        {
            foreach (var attribute in list.Attributes)
            {
                if (attribute.ArgumentList is null)
                {
                    continue;
                }

                foreach (var argument in attribute.ArgumentList.Arguments)
                {
                    if (argument.NameEquals?.Name.Identifier.ValueText != "EntryPoint")
                    {
                        continue;
                    }

                    return argument.Expression is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal
                        ? literal.Token.ValueText
                        : null;
                }
            }
        }

        return method.Identifier.ValueText;
    }

    private static DeclaredImports ScanMetadata(AssemblyMetadata metadata)
    {
        var any = false;
        foreach (var module in metadata.GetModules())
        {
            var reader = module.GetMetadataReader();
            if (reader.GetTableRowCount(TableIndex.ImplMap) == 0)
            {
                continue;
            }

            foreach (var handle in reader.MethodDefinitions)
            {
                var definition = reader.GetMethodDefinition(handle);
                if ((definition.Attributes & MethodAttributes.PinvokeImpl) == 0)
                {
                    continue;
                }

                any = true;
                var import = definition.GetImport();
                if (MatchedFunctions.All.Contains(reader.GetString(import.Name)))
                {
                    return DeclaredImports.Matching;
                }
            }
        }

        return any ? DeclaredImports.Unmatched : DeclaredImports.None;
    }

    private sealed class DeclaredImports
    {
        public static readonly DeclaredImports None = new(any: false, mayMatch: false);
        public static readonly DeclaredImports Unmatched = new(any: true, mayMatch: false);
        public static readonly DeclaredImports Matching = new(any: true, mayMatch: true);

        private DeclaredImports(bool any, bool mayMatch)
        {
            Any = any;
            MayMatch = mayMatch;
        }

        public bool Any { get; }

        public bool MayMatch { get; }
    }
}
