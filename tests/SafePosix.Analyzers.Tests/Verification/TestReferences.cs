using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

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
