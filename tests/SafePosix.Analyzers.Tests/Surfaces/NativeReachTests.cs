using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using SafePosix.Analyzers.Tests.Meta;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Surfaces;

/// <summary>
/// The per-compilation gate: ordinary code gets no per-operation callback, and any way of reaching a matched libc
/// function keeps every rule on.
/// </summary>
public sealed class NativeReachTests
{
    // Rules that start from .NET APIs (Socket.Bind with a UnixDomainSocketEndPoint, a cast to SocketFlags) stay on everywhere.
    private static readonly string[] UngatedAnalyzers = { nameof(StaleUnixSocketPathAnalyzer), nameof(NoSignalSocketFlagsAnalyzer) };

    private static readonly ImmutableArray<MetadataReference> FrameworkOnly =
        Basic.Reference.Assemblies.Net80.References.All.Cast<MetadataReference>().ToImmutableArray();

    // The driver runs no analyzer whose every rule is off (PSX2007).
    private static readonly int EnabledByDefault = RuleCatalog.RuleAnalyzers.Count(a => a.SupportedDiagnostics.Any(d => d.IsEnabledByDefault));

    [Fact]
    public void EveryNameSetOfTheRules_IsInTheRegistry()
    {
        foreach (var type in typeof(PosixSurfaces).Assembly.GetTypes())
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }

        var declared = PosixSurfaces.DeclaredFunctionNames.Keys.ToList();
        Assert.Contains("fork", declared);
        Assert.Contains("munmap", declared);
        var missing = declared.Where(name => !MatchedFunctions.All.Contains(name)).OrderBy(name => name, StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Add to MatchedFunctions.All: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task OrdinaryCode_GetsNoCallbackFromTheGatedRules()
    {
        var registering = await AnalyzersWithOperationActions(
            """
            using System.IO;
            class C { int M(string path) => File.ReadAllText(path).Length; }
            """);

        Assert.Equal(UngatedAnalyzers.OrderBy(n => n), registering);
    }

    [Fact]
    public async Task PInvokeOfAnUnmatchedFunction_KeepsOnlyTheErrnoRule()
    {
        var registering = await AnalyzersWithOperationActions(
            """
            using System.Runtime.InteropServices;
            static class Native
            {
                [DllImport("user32", SetLastError = true)]
                public static extern int MessageBeep(uint type);
            }
            """);

        Assert.Equal(UngatedAnalyzers.Append(nameof(StaleErrnoAnalyzer)).OrderBy(n => n), registering);
    }

    [Theory]
    [InlineData("""[DllImport("libc")] public static extern int fork();""")]
    [InlineData("""[DllImport("libc", EntryPoint = "fork")] public static extern int SysFork();""")]
    [InlineData("""const string Entry = "fo" + "rk"; [DllImport("libc", EntryPoint = Entry)] public static extern int SysFork();""")]
    [InlineData("""[LibraryImport("libc", EntryPoint = "munmap")] public static partial int Unmap(System.IntPtr a, nuint l);""")]
    public async Task DeclaredMatchedFunction_KeepsEveryRuleOn(string declaration)
    {
        var registering = await AnalyzersWithOperationActions(
            $$"""
            using System.Runtime.InteropServices;
            static partial class Native
            {
                {{declaration}}
            }
            """);

        Assert.Equal(EnabledByDefault, registering.Count);
    }

    [Fact]
    public void EditThatDeclaresAMatchedFunction_OpensTheGateOfTheNextCompilation()
    {
        var before = CSharpSyntaxTree.ParseText("static class Native { }", TestReferences.ParseOptions);
        var first = CSharpCompilation.Create("Edited", new[] { before }, FrameworkOnly);
        Assert.False(PosixSurfaces.Create(first).MayCallMatchedFunction);

        var after = before.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            "static class Native { [System.Runtime.InteropServices.DllImport(\"libc\")] public static extern int fork(); }"));
        var second = first.ReplaceSyntaxTree(before, after);

        Assert.True(PosixSurfaces.Create(second).MayCallMatchedFunction);
        Assert.False(PosixSurfaces.Create(first).MayCallMatchedFunction);
    }

    [Fact]
    public async Task ReferencedBinding_KeepsEveryRuleOn()
    {
        var registering = await AnalyzersWithOperationActions("class C { }", TestReferences.Default);

        Assert.Equal(EnabledByDefault, registering.Count);
    }

    [Fact]
    public async Task PInvokeOfAReferencedAssembly_IsStillSeen()
    {
        var library = LibraryWithFork();
        using var image = new MemoryStream();
        Assert.True(library.Emit(image).Success);

        var diagnostics = await ForkDiagnostics(MetadataReference.CreateFromImage(image.ToArray()));

        Assert.Contains(diagnostics, d => d.Id == RuleIds.ForkFromManagedCode);
    }

    [Fact]
    public async Task PInvokeOfAReferencedProject_IsStillSeen()
    {
        var diagnostics = await ForkDiagnostics(LibraryWithFork().ToMetadataReference());

        Assert.Contains(diagnostics, d => d.Id == RuleIds.ForkFromManagedCode);
    }

    private static CSharpCompilation LibraryWithFork() => CSharpCompilation.Create(
        "NativeLibrary",
        new[]
        {
            CSharpSyntaxTree.ParseText(
                """
                using System.Runtime.InteropServices;
                public static class Native
                {
                    [DllImport("libc", SetLastError = true)]
                    public static extern int fork();
                }
                """,
                TestReferences.ParseOptions),
        },
        FrameworkOnly,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static async Task<ImmutableArray<Diagnostic>> ForkDiagnostics(MetadataReference library)
    {
        var consumer = CSharpCompilation.Create(
            "Consumer",
            new[] { CSharpSyntaxTree.ParseText("class C { void Start() { int pid = Native.fork(); System.Console.WriteLine(pid); } }", TestReferences.ParseOptions) },
            FrameworkOnly.Add(library),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(consumer.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return await consumer.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ForkFromManagedCodeAnalyzer())).GetAnalyzerDiagnosticsAsync();
    }

    private static async Task<List<string>> AnalyzersWithOperationActions(string source, ImmutableArray<MetadataReference>? references = null)
    {
        var compilation = CSharpCompilation.Create(
            "Gate",
            new[] { CSharpSyntaxTree.ParseText(source, TestReferences.ParseOptions) },
            references ?? FrameworkOnly,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var analyzers = RuleCatalog.RuleAnalyzers;
        var withAnalyzers = compilation.WithAnalyzers(
            analyzers,
            new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        await withAnalyzers.GetAnalyzerDiagnosticsAsync();

        var registering = new List<string>();
        foreach (var analyzer in analyzers)
        {
            var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, default);
            if (telemetry.OperationActionsCount + telemetry.SymbolStartActionsCount + telemetry.OperationBlockStartActionsCount > 0)
            {
                registering.Add(analyzer.GetType().Name);
            }
        }

        registering.Sort(StringComparer.Ordinal);
        return registering;
    }
}
