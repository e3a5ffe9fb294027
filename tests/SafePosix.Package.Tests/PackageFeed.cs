using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using System.Xml.Linq;
using Xunit;

namespace SafePosix.Package.Tests;

/// <summary>
/// Both packages, packed once per test run from the working tree into a temporary folder feed, with a NuGet cache
/// of its own (so a package packed earlier under the same version can never be picked up) and a nuget.config that
/// reads only that feed and this machine's NuGet cache (for Tmds.LibC and Mono.Posix): nothing is downloaded.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    public static string RepositoryRoot { get; } = typeof(PackageFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "safeposix-package-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public string FeedDirectory => Path.Combine(Root, "feed");

    public string Version { get; private set; } = "";

    public string AnalyzersPackage => Path.Combine(FeedDirectory, $"SafePosix.Analyzers.{Version}.nupkg");

    public string RuntimePackage => Path.Combine(FeedDirectory, $"SafePosix.{Version}.nupkg");

    public List<CommandResult> PackCommands { get; } = new();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<object>>> _shared = new();

    /// <summary>A consumer build several tests read (the showcase's default build), made once.</summary>
    public async Task<T> Once<T>(string key, Func<Task<T>> create) =>
        (T)await _shared.GetOrAdd(key, _ => new Lazy<Task<object>>(async () => (object)(await create())!)).Value;

    /// <summary>The help link of a rule as the package's own repository URL says it must be.</summary>
    public string HelpLink(string id) => RepositoryUrl + "/blob/main/docs/rules/" + id + ".md";

    /// <summary>The repository URL in the analyzer package's nuspec.</summary>
    public string RepositoryUrl => Nuspec(AnalyzersPackage).Descendants().Single(e => e.Name.LocalName == "repository").Attribute("url")!.Value;

    public static XDocument Nuspec(string package)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(FeedDirectory);
        foreach (var project in new[] { "src/Package", "src/Runtime" })
        {
            // Exactly the README's command, per project: Release, built before it is packed.
            var pack = await DotNet.RunAsync(RepositoryRoot, "pack", project, "-c", "Release", "-o", FeedDirectory, "-tl:off", "-nodeReuse:false");
            PackCommands.Add(pack);
            if (pack.ExitCode != 0)
            {
                throw new InvalidOperationException("Packing failed:\n" + pack);
            }
        }

        var analyzers = Directory.GetFiles(FeedDirectory, "SafePosix.Analyzers.*.nupkg").Single();
        Version = Path.GetFileNameWithoutExtension(analyzers)["SafePosix.Analyzers.".Length..];

        var machineCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        new XDocument(new XElement("configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Path.Combine(Root, "packages")))),
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "safeposix-feed"), new XAttribute("value", FeedDirectory)),
                new XElement("add", new XAttribute("key", "machine-cache"), new XAttribute("value", machineCache))),
            // The machine cache may hold a SafePosix package of the same version packed from older sources (a manual
            // check leaves one there): without this mapping restore may take it from there and test stale analyzers.
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "safeposix-feed"), new XElement("package", new XAttribute("pattern", "SafePosix*"))),
                new XElement("packageSource", new XAttribute("key", "machine-cache"), new XElement("package", new XAttribute("pattern", "*"))))))
            .Save(Path.Combine(Root, "nuget.config"));
        // Consumers live under Root: no Directory.Build.props, Directory.Packages.props or .editorconfig of this
        // repository applies to them; these empty ones stop the search for any further up.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Packages.props"), "<Project />\n");
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the folder is in the temp directory.
        }

        return Task.CompletedTask;
    }

    /// <summary>A new consumer project folder under the feed's root.</summary>
    public Consumer NewConsumer(string name) => new(Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..6]), Version);
}

[CollectionDefinition(Name)]
public sealed class PackageFeedCollection : ICollectionFixture<PackageFeed>
{
    public const string Name = "Packed feed";
}
