using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;
using SafePosix.Analyzers.Tests.Meta;
using Xunit;

namespace SafePosix.Analyzers.Tests.Package;

/// <summary>The package a user installs: built with the tests (src/Package packs on build), opened and inspected.</summary>
public sealed class NuGetPackageTests
{
    private static string PackagePath()
    {
        var directory = RuleCatalog.PathInRepository("artifacts", "packages");
        var packages = Directory.Exists(directory)
            ? Directory.GetFiles(directory, "SafePosix.Analyzers.*.nupkg").Where(p => !p.EndsWith(".symbols.nupkg", StringComparison.Ordinal)).ToList()
            : new();
        Assert.True(packages.Count > 0, "No SafePosix.Analyzers package in " + directory + ": src/Package packs it on build.");
        return packages.OrderByDescending(File.GetLastWriteTimeUtc).First();
    }

    [Fact]
    public void Package_HoldsBothAssembliesUnderAnalyzersAndNothingUnderLib()
    {
        using var package = ZipFile.OpenRead(PackagePath());
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("analyzers/dotnet/cs/SafePosix.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/SafePosix.CodeFixes.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("ref/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.EndsWith(".globalconfig", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.CodeAnalysis", StringComparison.Ordinal));
    }

    [Fact]
    public void Package_IsADevelopmentDependencyWithoutDependencies()
    {
        using var package = ZipFile.OpenRead(PackagePath());
        var nuspecEntry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspecEntry.Open();
        var nuspec = XDocument.Load(stream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("SafePosix.Analyzers", metadata.Element(ns + "id")!.Value);
        Assert.Equal("true", metadata.Element(ns + "developmentDependency")?.Value);
        Assert.Empty(metadata.Descendants(ns + "dependency"));
    }

    [Fact]
    public void PackagedAnalyzers_AreBuiltAgainstRoslyn48()
    {
        using var package = ZipFile.OpenRead(PackagePath());
        foreach (var name in new[] { "SafePosix.Analyzers.dll", "SafePosix.CodeFixes.dll" })
        {
            using var stream = package.GetEntry("analyzers/dotnet/cs/" + name)!.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var roslyn = ReferencedVersion(copy.ToArray(), "Microsoft.CodeAnalysis");
            Assert.True(roslyn <= new Version(4, 8, 0, 0), $"{name} references Microsoft.CodeAnalysis {roslyn}: compilers older than it would drop the analyzers.");
        }
    }

    private static Version ReferencedVersion(byte[] image, string assemblyName)
    {
        using var peReader = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(image));
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(peReader);
        foreach (var handle in metadata.AssemblyReferences)
        {
            var reference = metadata.GetAssemblyReference(handle);
            if (metadata.GetString(reference.Name) == assemblyName)
            {
                return reference.Version;
            }
        }

        throw new InvalidOperationException(assemblyName + " is not referenced.");
    }
}
