using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Bench.Analyzers;

/// <summary>One row of the table: a package's C# analyzers, or why it could not be loaded.</summary>
public sealed class AnalyzerSet
{
    public AnalyzerSet(string name, string source, ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableArray<string> failures)
    {
        Name = name;
        Source = source;
        Analyzers = analyzers;
        Failures = failures;
    }

    public string Name { get; }

    /// <summary>Where the analyzers came from: package version and folder, or the assembly.</summary>
    public string Source { get; }

    public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

    /// <summary>Load failures (an assembly built against a newer Roslyn, a type that cannot be created ...).</summary>
    public ImmutableArray<string> Failures { get; }

    /// <summary>Rule severities forced for this set (e.g. every NetAnalyzers rule as a warning); empty: the rules' defaults.</summary>
    public ImmutableDictionary<string, ReportDiagnostic> SpecificOptions { get; init; } = ImmutableDictionary<string, ReportDiagnostic>.Empty;

    public bool Loaded => !Analyzers.IsEmpty;

    public AnalyzerSet AllRulesAsWarnings(string name)
    {
        var ids = Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct(StringComparer.Ordinal);
        return new AnalyzerSet(name, Source, Analyzers, Failures)
        {
            SpecificOptions = ids.ToImmutableDictionary(id => id, _ => ReportDiagnostic.Warn, StringComparer.Ordinal),
        };
    }
}

public static class AnalyzerSets
{
    /// <summary>The Roslyn this process hosts (4.14 here): the highest roslynX.Y analyzer folder not above it is used.</summary>
    public static Version HostRoslyn { get; } = typeof(Compilation).Assembly.GetName().Version ?? new Version(0, 0);

    public static AnalyzerSet Floor() =>
        new("floor", "FloorAnalyzer (this bench): Invocation action, TargetMethod.Name == a name no corpus calls",
            ImmutableArray.Create<DiagnosticAnalyzer>(new FloorAnalyzer()), ImmutableArray<string>.Empty);

    public static AnalyzerSet FloorReporting() =>
        new("floor + report fork", "FloorAnalyzer (this bench): TargetMethod.Name == \"fork\", one diagnostic per fork call",
            ImmutableArray.Create<DiagnosticAnalyzer>(new FloorAnalyzer("BENCH0002", "fork")), ImmutableArray<string>.Empty);

    /// <summary>The graph floor's name: the least a flow-sensitive package pays, the baseline others are read against.</summary>
    public const string GraphFloorName = "floor + graphs";

    public static AnalyzerSet GraphFloor() =>
        new(GraphFloorName, "GraphFloorAnalyzer (this bench): the name test for every function a rule starts from, the control-flow graph of each body holding one, one diagnostic per fork call; generated code left out as SafePosix does (ReportDiagnostics: no generated-code scan)",
            ImmutableArray.Create<DiagnosticAnalyzer>(new GraphFloorAnalyzer()), ImmutableArray<string>.Empty);

    public static AnalyzerSet GraphFloorReporting() =>
        new("floor + graphs + reports", "GraphFloorAnalyzer (this bench) reporting at every call a rule starts from instead of at forks only",
            ImmutableArray.Create<DiagnosticAnalyzer>(new GraphFloorAnalyzer(reportEveryCall: true)), ImmutableArray<string>.Empty);

    /// <summary>The package as a host loads it: every C# DiagnosticAnalyzer in SafePosix.Analyzers.dll with [DiagnosticAnalyzer].</summary>
    public static AnalyzerSet SafePosix() => SafePosixAnalyzers("SafePosix", IsCSharpAnalyzer);

    /// <summary>Each rule's own class (namespace SafePosix.Analyzers.Rules), one analyzer per rule: per-rule figures.</summary>
    public static AnalyzerSet SafePosixRules() => SafePosixAnalyzers(
        "SafePosix, one analyzer per rule",
        type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type) && type.Namespace == "SafePosix.Analyzers.Rules");

    private static AnalyzerSet SafePosixAnalyzers(string name, Func<Type, bool> include)
    {
        var failures = ImmutableArray.CreateBuilder<string>();
        var assembly = Assembly.Load(new AssemblyName("SafePosix.Analyzers"));
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.Where(t => t is not null).ToArray()!;
            failures.AddRange(e.LoaderExceptions.Select(x => x?.Message ?? "type load failure"));
        }

        var analyzers = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        foreach (var type in types.Where(include).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            try
            {
                analyzers.Add((DiagnosticAnalyzer)Activator.CreateInstance(type)!);
            }
            catch (Exception e) when (e is TargetInvocationException or MissingMethodException or TypeLoadException)
            {
                failures.Add($"{type.FullName}: {e.GetBaseException().Message}");
            }
        }

        var version = assembly.GetName().Version;
        return new AnalyzerSet(name, $"SafePosix.Analyzers {version} ({Path.GetFileName(assembly.Location)}, src/Analyzers)",
            analyzers.ToImmutable(), failures.ToImmutable());
    }

    private static bool IsCSharpAnalyzer(Type type) =>
        !type.IsAbstract
        && typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
        && type.GetCustomAttributes<DiagnosticAnalyzerAttribute>(inherit: false).Any(a => a.Languages.Contains(LanguageNames.CSharp));

    /// <summary>A NuGet package's C# analyzers, as the SDK would pick them, loaded through AnalyzerFileReference.</summary>
    public static AnalyzerSet Package(string name, string packageId, string? packageRoot)
    {
        if (string.IsNullOrEmpty(packageRoot) || !Directory.Exists(packageRoot))
        {
            return new AnalyzerSet(name, packageId, ImmutableArray<DiagnosticAnalyzer>.Empty,
                ImmutableArray.Create($"package folder not found ({packageRoot})"));
        }

        var version = Path.GetFileName(packageRoot.TrimEnd(Path.DirectorySeparatorChar));
        var (folder, dlls) = AnalyzerFiles(packageRoot);
        var source = $"{packageId} {version} ({Path.GetRelativePath(packageRoot, folder)})";
        if (dlls.Count == 0)
        {
            return new AnalyzerSet(name, source, ImmutableArray<DiagnosticAnalyzer>.Empty, ImmutableArray.Create("no analyzer assembly in the package"));
        }

        var loader = new PackageLoader(folder);
        var failures = new List<string>();
        var analyzers = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        foreach (var dll in dlls)
        {
            var reference = new AnalyzerFileReference(dll, loader);
            reference.AnalyzerLoadFailed += (_, e) => failures.Add(
                $"{Path.GetFileName(dll)}: {e.ErrorCode}{(e.TypeName is null ? "" : " " + e.TypeName)}: {e.Message}" +
                (e.ReferencedCompilerVersion is { } v ? $" (built against Roslyn {v}, host is {HostRoslyn})" : ""));
            try
            {
                analyzers.AddRange(reference.GetAnalyzers(LanguageNames.CSharp));
            }
            catch (Exception e) when (e is FileLoadException or FileNotFoundException or BadImageFormatException or ReflectionTypeLoadException or TypeLoadException)
            {
                failures.Add($"{Path.GetFileName(dll)}: {e.GetType().Name}: {e.Message}");
            }
        }

        // Touch every analyzer's descriptors now: a type built against a newer Roslyn often fails only here.
        var usable = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        foreach (var analyzer in analyzers)
        {
            try
            {
                _ = analyzer.SupportedDiagnostics;
                usable.Add(analyzer);
            }
            catch (Exception e) when (e is TypeLoadException or MissingMethodException or MissingFieldException or FileLoadException or FileNotFoundException or InvalidOperationException)
            {
                failures.Add($"{analyzer.GetType().FullName}: {e.GetType().Name}: {e.Message}");
            }
        }

        return new AnalyzerSet(name, source, usable.ToImmutable(), failures.Distinct(StringComparer.Ordinal).ToImmutableArray());
    }

    /// <summary>
    /// The SDK's choice: analyzers/dotnet/roslynX.Y/cs for the highest X.Y not above the host's Roslyn, else
    /// analyzers/dotnet/cs plus analyzers/dotnet, else analyzers/ itself (SonarAnalyzer's layout).
    /// </summary>
    public static (string Folder, List<string> Dlls) AnalyzerFiles(string packageRoot)
    {
        var dotnet = Path.Combine(packageRoot, "analyzers", "dotnet");
        if (Directory.Exists(dotnet))
        {
            var versioned = Directory.GetDirectories(dotnet, "roslyn*")
                .Select(d => (Dir: d, Ok: Version.TryParse(Path.GetFileName(d)["roslyn".Length..], out var v), Version: v))
                .Where(x => x.Ok && x.Version! <= new Version(HostRoslyn.Major, HostRoslyn.Minor))
                .OrderByDescending(x => x.Version)
                .ToList();
            if (versioned.Count > 0)
            {
                var cs = Path.Combine(versioned[0].Dir, "cs");
                var dir = Directory.Exists(cs) ? cs : versioned[0].Dir;
                return (dir, Dlls(dir));
            }

            if (Directory.GetDirectories(dotnet, "roslyn*").Length > 0)
            {
                return (dotnet, new List<string>());
            }

            var csharp = Path.Combine(dotnet, "cs");
            var files = Dlls(dotnet);
            if (Directory.Exists(csharp))
            {
                files.AddRange(Dlls(csharp));
            }

            return (Directory.Exists(csharp) ? csharp : dotnet, files);
        }

        var analyzers = Path.Combine(packageRoot, "analyzers");
        return (analyzers, Directory.Exists(analyzers) ? Dlls(analyzers) : new List<string>());
    }

    private static List<string> Dlls(string dir) =>
        Directory.GetFiles(dir, "*.dll").OrderBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>The assembly metadata the build wrote: Package:{id} = its folder in the NuGet cache.</summary>
    public static string? PackageRoot(string packageId) =>
        typeof(AnalyzerSets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Package:" + packageId)?.Value;

    /// <summary>
    /// One load context per package folder, like the compiler server's: the package's own assemblies come from its
    /// folder; Roslyn and the framework are shared with the host, so a package built against a newer Roslyn fails
    /// to load instead of silently running on a different one.
    /// </summary>
    private sealed class PackageLoader : IAnalyzerAssemblyLoader
    {
        private readonly Context _context;

        public PackageLoader(string folder) => _context = new Context(folder);

        public void AddDependencyLocation(string fullPath) => _context.Add(fullPath);

        public Assembly LoadFromPath(string fullPath) => _context.LoadFromAssemblyPath(fullPath);

        private sealed class Context : AssemblyLoadContext
        {
            private readonly string _folder;
            private readonly ConcurrentDictionary<string, string> _dependencies = new(StringComparer.OrdinalIgnoreCase);

            public Context(string folder)
                : base("analyzers:" + folder, isCollectible: false) => _folder = folder;

            public void Add(string fullPath) => _dependencies[Path.GetFileNameWithoutExtension(fullPath)] = fullPath;

            protected override Assembly? Load(AssemblyName assemblyName)
            {
                var name = assemblyName.Name ?? "";
                if (HostAssemblies.Contains(name))
                {
                    return null;
                }

                if (_dependencies.TryGetValue(name, out var path) || File.Exists(path = Path.Combine(_folder, name + ".dll")))
                {
                    return LoadFromAssemblyPath(path);
                }

                return null;
            }
        }
    }

    /// <summary>Roslyn and the framework: what the host's deps.json and shared framework provide.</summary>
    private static readonly ImmutableHashSet<string> HostAssemblies =
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .ToImmutableHashSet(StringComparer.OrdinalIgnoreCase);

    public static string Describe(AnalyzerSet set) =>
        set.Loaded
            ? string.Create(CultureInfo.InvariantCulture, $"{set.Analyzers.Length} analyzers, {set.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().Count()} rule IDs")
            : "not loaded";
}
