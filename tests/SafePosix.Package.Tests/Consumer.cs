using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security;
using System.Threading.Tasks;
using System.Xml.Linq;

namespace SafePosix.Package.Tests;

/// <summary>A project outside the repository that references the packed packages, written file by file.</summary>
public sealed class Consumer
{
    private readonly string _version;
    private readonly List<string> _properties = new();
    private readonly List<string> _items = new();

    public Consumer(string directory, string version)
    {
        Directory.CreateDirectory(directory);
        ProjectDirectory = directory;
        _version = version;
    }

    public string ProjectDirectory { get; }

    public string ProjectPath => Path.Combine(ProjectDirectory, "Consumer.csproj");

    public Consumer Property(string name, string value)
    {
        _properties.Add($"    <{name}>{SecurityElement.Escape(value)}</{name}>");
        return this;
    }

    public Consumer Item(string xml)
    {
        _items.Add("    " + xml);
        return this;
    }

    public Consumer PackageReference(string id, string? version = null, bool privateAssets = false) =>
        Item($"<PackageReference Include=\"{id}\" Version=\"{version ?? _version}\"{(privateAssets ? " PrivateAssets=\"all\"" : "")} />");

    public Consumer AnalyzersPackage() => PackageReference("SafePosix.Analyzers", privateAssets: true);

    public Consumer RuntimePackage() => PackageReference("SafePosix");

    public Consumer File(string relativePath, string content)
    {
        var path = Path.Combine(ProjectDirectory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content.ReplaceLineEndings("\n"));
        return this;
    }

    public Consumer EditorConfig(params string[] lines) => File(".editorconfig", "root = true\n\n[*.cs]\n" + string.Join("\n", lines) + "\n");

    /// <summary>Removes the .editorconfig and .globalconfig, so one restored consumer can be built under several settings.</summary>
    public Consumer WithoutConfigFiles()
    {
        System.IO.File.Delete(Path.Combine(ProjectDirectory, ".editorconfig"));
        System.IO.File.Delete(Path.Combine(ProjectDirectory, ".globalconfig"));
        return this;
    }

    public Consumer GlobalConfig(params string[] lines) => File(".globalconfig", "is_global = true\n" + string.Join("\n", lines) + "\n");

    /// <summary>
    /// The showcase as a user's project: samples/Showcase's sources (and any file it links in), its package references
    /// and NoWarn, with the analyzers from the package instead of the repository's projects; plus one SDK rule
    /// (CA2014) to show that SafePosix's settings leave the SDK's rules alone.
    /// </summary>
    public Consumer Showcase(IReadOnlyDictionary<string, string> centralVersions)
    {
        var showcase = Path.Combine(PackageFeed.RepositoryRoot, "samples", "Showcase");
        var project = XDocument.Load(Path.Combine(showcase, "Showcase.csproj"));
        foreach (var source in Directory.EnumerateFiles(showcase, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
        {
            File(Path.GetRelativePath(showcase, source), System.IO.File.ReadAllText(source));
        }

        foreach (var compile in project.Descendants("Compile").Where(c => c.Attribute("Include") is not null))
        {
            var source = Path.GetFullPath(Path.Combine(showcase, compile.Attribute("Include")!.Value.Replace('\\', '/')));
            var link = (compile.Attribute("Link")?.Value ?? Path.GetFileName(source)).Replace('\\', '/');
            File(link, System.IO.File.ReadAllText(source));
        }

        foreach (var reference in project.Descendants("PackageReference"))
        {
            var id = reference.Attribute("Include")!.Value;
            PackageReference(id, reference.Attribute("Version")?.Value ?? reference.Attribute("VersionOverride")?.Value ?? centralVersions[id]);
        }

        foreach (var name in new[] { "OutputType", "NoWarn" })
        {
            if (project.Descendants(name).FirstOrDefault() is { } element)
            {
                Property(name, element.Value);
            }
        }

        File("SdkRuleSample.cs", """
            namespace Showcase;

            internal static class SdkRuleSample
            {
                // CA2014 (an SDK rule, warning by default): stackalloc in a loop.
                public static int Sum(int count)
                {
                    var total = 0;
                    for (var i = 0; i < count; i++)
                    {
                        System.Span<byte> buffer = stackalloc byte[16];
                        buffer[0] = (byte)i;
                        total += buffer[0];
                    }

                    return total;
                }
            }
            """);
        return AnalyzersPackage();
    }

    public Consumer Write()
    {
        var project = $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net$(BundledNETCoreAppTargetFrameworkVersion)</TargetFramework>
                <Nullable>enable</Nullable>
                <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
            {string.Join("\n", _properties)}
              </PropertyGroup>
              <ItemGroup>
            {string.Join("\n", _items)}
              </ItemGroup>
            </Project>
            """;
        System.IO.File.WriteAllText(ProjectPath, project + "\n");
        return this;
    }

    /// <summary><c>dotnet build</c> from scratch (so every build runs the analyzers), with the user's extra arguments.</summary>
    public Task<CommandResult> BuildAsync(params string[] arguments)
    {
        if (!System.IO.File.Exists(ProjectPath))
        {
            Write();
        }

        return DotNet.RunAsync(ProjectDirectory, new[] { "build", "--no-incremental", "-tl:off", "-nodeReuse:false" }.Concat(arguments).ToArray());
    }

    public Task<CommandResult> RunAsync(params string[] arguments)
    {
        if (!System.IO.File.Exists(ProjectPath))
        {
            Write();
        }

        return DotNet.RunAsync(ProjectDirectory, arguments);
    }

    /// <summary>The versions of Directory.Packages.props, for the showcase's package references.</summary>
    public static IReadOnlyDictionary<string, string> CentralVersions() =>
        XDocument.Load(Path.Combine(PackageFeed.RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => p.Attribute("Include")!.Value, p => p.Attribute("Version")!.Value, StringComparer.OrdinalIgnoreCase);
}
