using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>
/// References for test compilations: the running runtime's framework assemblies (works offline), the real
/// Mono.Posix.NETStandard 1.0.0, and a stub with Tmds.LibC's API shape compiled once into a metadata reference, so
/// its members are seen as the real package's are: from metadata.
/// </summary>
public static class TestReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Framework = new(LoadFramework);
    private static readonly Lazy<MetadataReference> MonoPosixReference = new(
        () => MetadataReference.CreateFromFile(typeof(Mono.Unix.Native.Syscall).Assembly.Location));
    private static readonly Lazy<MetadataReference> TmdsReference = new(CompileTmdsStub);

    public static ImmutableArray<MetadataReference> FrameworkOnly => Framework.Value;

    public static ImmutableArray<MetadataReference> Default
        => Framework.Value.Add(MonoPosixReference.Value).Add(TmdsReference.Value);

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

    private static bool IsMissingGeneratedImplementation(Diagnostic diagnostic) => diagnostic.Id == "CS8795"
        && diagnostic.Location.SourceTree?.GetRoot().FindNode(diagnostic.Location.SourceSpan) is { } node
        && node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method
        && method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().Contains("LibraryImport", StringComparison.Ordinal));

    public static string ReadStub(string fileName)
    {
        using var stream = typeof(TestReferences).Assembly.GetManifestResourceStream("Stubs." + fileName)
            ?? throw new InvalidOperationException("Missing embedded stub " + fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static ImmutableArray<MetadataReference> LoadFramework()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal))
            .OrderBy(path => path, StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }

    private static MetadataReference CompileTmdsStub()
    {
        var tree = CSharpSyntaxTree.ParseText(ReadStub("TmdsLibC.cs"), ParseOptions);
        var compilation = CSharpCompilation.Create(
            "Tmds.LibC",
            new[] { tree },
            Framework.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
        {
            throw new InvalidOperationException("The Tmds.LibC stub does not compile:\n" + string.Join("\n", emitted.Diagnostics));
        }

        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
