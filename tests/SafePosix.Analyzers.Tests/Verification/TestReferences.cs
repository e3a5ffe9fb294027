using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Testing;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>
/// What test compilations reference: the net8.0 reference assemblies users compile against, the real Tmds.LibC
/// and Mono.Posix.NETStandard reference assemblies restored with this project, and on request the SafePosix runtime
/// built with it (all copied to bindings/). All local files:
/// nothing is resolved or downloaded while tests run.
/// </summary>
public static class TestReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Bindings = new(() => ImmutableArray.Create<MetadataReference>(
        Binding("Tmds.LibC.dll"),
        Binding("Mono.Posix.NETStandard.dll")));

    private static readonly Lazy<MetadataReference> RuntimeAssembly = new(() => Binding("SafePosix.dll"));

    /// <summary>
    /// The SafePosix runtime library, built with this project and copied to bindings/: for the tests of fixes that
    /// call it when a compilation references it. Not in <see cref="Default"/>: without it those fixes are not offered.
    /// </summary>
    public static MetadataReference Runtime => RuntimeAssembly.Value;

    /// <summary>A target framework with no packages to resolve: the framework assemblies come from <see cref="Default"/>.</summary>
    public static ReferenceAssemblies ReferenceAssemblies { get; } = new("net8.0");

    public static ImmutableArray<MetadataReference> Default { get; } =
        Basic.Reference.Assemblies.Net80.References.All.Cast<MetadataReference>().Concat(Bindings.Value).ToImmutableArray();

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>A library compilation of one source file with the default references, unsafe code and nullable on.</summary>
    public static CSharpCompilation Compile(string source, string path = "")
        => CSharpCompilation.Create(
            "TestProject",
            new[] { CSharpSyntaxTree.ParseText(source, ParseOptions, path) },
            Default,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Compiler errors, less the bodies of LibraryImport partials that the source generator (not run in tests) supplies.</summary>
    public static IReadOnlyList<Diagnostic> CompilerErrors(Compilation compilation)
        => compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && !IsMissingGeneratedImplementation(d))
            .ToList();

    /// <summary>CS8795 on a <c>[LibraryImport]</c> partial method only: any other missing partial body stays an error.</summary>
    public static bool IsMissingGeneratedImplementation(Diagnostic diagnostic) => diagnostic.Id == "CS8795"
        && diagnostic.Location.SourceTree?.GetRoot().FindNode(diagnostic.Location.SourceSpan) is { } node
        && node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method
        && method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "LibraryImport" or "LibraryImportAttribute"
            || a.Name.ToString().EndsWith(".LibraryImport", StringComparison.Ordinal) || a.Name.ToString().EndsWith(".LibraryImportAttribute", StringComparison.Ordinal));

    private static MetadataReference Binding(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "bindings", fileName);
        return File.Exists(path)
            ? MetadataReference.CreateFromFile(path)
            : throw new FileNotFoundException("The binding's reference assembly is copied here by the test project: rebuild it.", path);
    }
}
