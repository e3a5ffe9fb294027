using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Xunit;

namespace SafePosix.Package.Tests;

/// <summary>What is inside the two packages, opened as NuGet would.</summary>
[Collection(PackageFeedCollection.Name)]
public sealed class PackageContentTests
{
    private static readonly string[] AnalyzerAssemblies = { "analyzers/dotnet/cs/SafePosix.Analyzers.dll", "analyzers/dotnet/cs/SafePosix.CodeFixes.dll" };
    private readonly PackageFeed _feed;

    public PackageContentTests(PackageFeed feed) => _feed = feed;

    [Fact]
    public void Pack_PrintsNoWarning()
    {
        Assert.All(_feed.PackCommands, pack => Assert.False(pack.Output.Contains("warning", StringComparison.OrdinalIgnoreCase), pack.ToString()));
    }

    [Fact]
    public void AnalyzersPackage_HoldsBothAssembliesUnderAnalyzersAndNothingUnderLib()
    {
        var entries = Entries(_feed.AnalyzersPackage);
        Assert.Subset(entries.ToHashSet(), AnalyzerAssemblies.ToHashSet());
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("ref/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.CodeAnalysis", StringComparison.Ordinal));
        Assert.Contains("build/SafePosix.Analyzers.targets", entries);
        Assert.Contains("README.md", entries);
    }

    [Fact]
    public void AnalyzersPackage_IsADevelopmentDependencyWithoutDependencies()
    {
        var metadata = Metadata(_feed.AnalyzersPackage);
        Assert.Equal("SafePosix.Analyzers", Value(metadata, "id"));
        Assert.Equal("true", Value(metadata, "developmentDependency"));
        Assert.Equal("README.md", Value(metadata, "readme"));
        Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "dependency");
    }

    [Fact]
    public void RuntimePackage_HoldsTheLibraryAndTheSameAnalyzers()
    {
        var entries = Entries(_feed.RuntimePackage);
        Assert.Contains("lib/net8.0/SafePosix.dll", entries);
        Assert.Contains("build/SafePosix.targets", entries);
        Assert.Contains("README.md", entries);
        foreach (var assembly in AnalyzerAssemblies)
        {
            Assert.Equal(Bytes(_feed.AnalyzersPackage, assembly), Bytes(_feed.RuntimePackage, assembly));
        }

        var metadata = Metadata(_feed.RuntimePackage);
        Assert.Null(metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "developmentDependency"));
        Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "dependency");
    }

    [Fact]
    public void Packages_ShipNoGlobalConfigThatAppliesByDefault()
    {
        // The category globalconfigs are added only by the targets, only when SafePosixAnalysisMode asks for them;
        // none is a per-rule file and none sits where the SDK would pick it up on its own.
        foreach (var package in new[] { _feed.AnalyzersPackage, _feed.RuntimePackage })
        {
            using var zip = ZipFile.OpenRead(package);
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".globalconfig", StringComparison.Ordinal)))
            {
                Assert.StartsWith("build/SafePosix.AnalysisMode.", entry.FullName, StringComparison.Ordinal);
                using var reader = new StreamReader(entry.Open());
                var text = reader.ReadToEnd();
                Assert.DoesNotContain("dotnet_diagnostic.", text, StringComparison.Ordinal);
                Assert.Contains("global_level = -100", text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void PackagedAnalyzers_AreBuiltAgainstRoslyn48_WithEmbeddedSymbols()
    {
        foreach (var assembly in AnalyzerAssemblies)
        {
            using var pe = new PEReader(new MemoryStream(Bytes(_feed.AnalyzersPackage, assembly)));
            var metadata = pe.GetMetadataReader();
            var roslyn = metadata.AssemblyReferences.Select(metadata.GetAssemblyReference)
                .Single(r => metadata.GetString(r.Name) == "Microsoft.CodeAnalysis").Version;
            Assert.True(roslyn <= new Version(4, 8, 0, 0), $"{assembly} references Microsoft.CodeAnalysis {roslyn}: compilers older than it would drop the analyzers (CS9057).");
            Assert.Contains(pe.ReadDebugDirectory(), d => d.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        }
    }

    [Fact]
    public void RepositoryUrl_IsOneSettingForBothPackagesAndTheHelpLinks()
    {
        var urls = new[] { _feed.AnalyzersPackage, _feed.RuntimePackage }
            .Select(p => Metadata(p).Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")!.Value).Distinct().ToList();
        var url = Assert.Single(urls);
        Assert.StartsWith("https://", url, StringComparison.Ordinal);
        Assert.DoesNotContain(".invalid", url, StringComparison.Ordinal);
        // The help links inside the packaged analyzers: read from the same setting at build time.
        var context = new System.Runtime.Loader.AssemblyLoadContext("packaged-analyzers", isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(new MemoryStream(Bytes(_feed.AnalyzersPackage, AnalyzerAssemblies[0])));
            var helpLinkBase = assembly.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Reflection.AssemblyMetadataAttribute" && (string?)a.ConstructorArguments[0].Value == "SafePosix.HelpLinkBase")
                .Select(a => (string?)a.ConstructorArguments[1].Value).Single();
            Assert.Equal(url + "/blob/main/docs/rules/", helpLinkBase);
        }
        finally
        {
            context.Unload();
        }
    }

    private static XElement Metadata(string package) => PackageFeed.Nuspec(package).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

    private static string? Value(XElement metadata, string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    private static string[] Entries(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    private static byte[] Bytes(string package, string entry)
    {
        using var zip = ZipFile.OpenRead(package);
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
