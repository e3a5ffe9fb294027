using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace SafePosix.Package.Tests;

/// <summary>What a user sees with `dotnet build` on projects that reference the packed packages.</summary>
[Collection(PackageFeedCollection.Name)]
public sealed partial class ConsumerBuildTests
{
    private const string CategoryLine = "dotnet_analyzer_diagnostic.category-SafePosix.severity";
    private readonly PackageFeed _feed;

    public ConsumerBuildTests(PackageFeed feed) => _feed = feed;

    /// <summary>The showcase built once with the defaults and a SARIF 2.1 log; several tests read it.</summary>
    private Task<(Consumer Consumer, CommandResult Build, string Sarif)> ShowcaseBuild() => _feed.Once("showcase", async () =>
    {
        var consumer = _feed.NewConsumer("showcase").Showcase(Consumer.CentralVersions()).Write();
        var sarif = Path.Combine(consumer.ProjectDirectory, "showcase.sarif");
        var build = await consumer.BuildAsync("-p:ErrorLog=" + sarif + "%2Cversion=2.1");
        return (consumer, build, sarif);
    });

    /// <summary>
    /// A second copy of the showcase, restored once, that the configuration tests build in turn with their own
    /// .editorconfig/.globalconfig (tests of one collection never run at the same time).
    /// </summary>
    private async Task<Consumer> Configured(string[]? editorConfig = null, string[]? globalConfig = null)
    {
        var consumer = await _feed.Once("configured", async () =>
        {
            var created = _feed.NewConsumer("configured").Showcase(Consumer.CentralVersions()).Write();
            var restore = await created.RunAsync("restore");
            Assert.True(restore.ExitCode == 0, restore.ToString());
            return created;
        });
        consumer.WithoutConfigFiles();
        if (editorConfig is not null)
        {
            consumer.EditorConfig(editorConfig);
        }

        if (globalConfig is not null)
        {
            consumer.GlobalConfig(globalConfig);
        }

        return consumer;
    }

    [Fact]
    public async Task Showcase_EveryMistakeIsAWarningWithItsHelpLink()
    {
        var (consumer, build, _) = await ShowcaseBuild();
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain(build.Diagnostics, d => d.Id is "CS9057" or "CS8032" or "CS8033" or "AD0001");
        Assert.NotEmpty(build.Safeposix);
        foreach (var diagnostic in build.Safeposix)
        {
            Assert.Equal("warning", diagnostic.Severity);
            Assert.EndsWith($"({_feed.HelpLink(diagnostic.Id)})", diagnostic.Message, StringComparison.Ordinal);
        }

        // Each method of the showcase is a mistake: it gets a warning, and every rule its comment names.
        var showcase = Path.Combine(PackageFeed.RepositoryRoot, "samples", "Showcase");
        foreach (var file in Directory.EnumerateFiles(showcase, "*.cs").Where(f => Path.GetFileName(f) != "Program.cs"))
        {
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            foreach (var method in root.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(m => m.Body is not null || m.ExpressionBody is not null))
            {
                var lines = method.GetLocation().GetLineSpan();
                var inMethod = build.Safeposix.Where(d => Path.GetFileName(d.File) == Path.GetFileName(file)
                    && d.Line - 1 >= lines.StartLinePosition.Line && d.Line - 1 <= lines.EndLinePosition.Line).Select(d => d.Id).ToHashSet();
                var named = NamedRule().Matches(method.GetLeadingTrivia().ToFullString()).Select(m => m.Value).ToHashSet();
                Assert.True(inMethod.Count > 0, $"{Path.GetFileName(file)}: {method.Identifier} gets no SafePosix warning.\n{build}");
                Assert.True(named.IsSubsetOf(inMethod), $"{Path.GetFileName(file)}: {method.Identifier}'s comment names {string.Join(", ", named)}; reported: {string.Join(", ", inMethod)}");
            }
        }
    }

    [Fact]
    public async Task Sarif21_HasHelpUriAndCategoryForEveryRule()
    {
        var (_, build, sarifPath) = await ShowcaseBuild();
        using var sarif = JsonDocument.Parse(File.ReadAllText(sarifPath));
        Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
        var run = sarif.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
            .Where(r => r.GetProperty("id").GetString()!.StartsWith("PSX", StringComparison.Ordinal)).ToList();
        var reported = build.Safeposix.Select(d => d.Id).ToHashSet();
        // The log describes every rule of the analyzers that ran, reported or not.
        Assert.Subset(rules.Select(r => r.GetProperty("id").GetString()!).ToHashSet(), reported);
        foreach (var rule in rules)
        {
            var id = rule.GetProperty("id").GetString()!;
            Assert.Equal(_feed.HelpLink(id), rule.GetProperty("helpUri").GetString());
            Assert.Equal("SafePosix", rule.GetProperty("properties").GetProperty("category").GetString());
        }

        // The console lists warnings and errors; the log also holds info-level results ("note").
        var results = run.GetProperty("results").EnumerateArray()
            .Where(r => r.GetProperty("ruleId").GetString()!.StartsWith("PSX", StringComparison.Ordinal) && !IsNote(r)).ToList();
        Assert.Equal(build.Safeposix.Count(), results.Count);
    }

    [Fact]
    public async Task WarnAsError_FailsTheBuild()
    {
        var (consumer, _, _) = await ShowcaseBuild();
        var build = await consumer.BuildAsync("--no-restore", "-warnaserror");
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains(build.Safeposix, d => d.Severity == "error");
    }

    [Theory]
    [InlineData("None")]
    [InlineData("Error")]
    public async Task AnalysisModeProperty_SetsEverySafePosixRuleAndNoSdkRule(string mode)
    {
        var (consumer, baseline, baselineSarif) = await ShowcaseBuild();
        var build = await consumer.BuildAsync("--no-restore", "-p:SafePosixAnalysisMode=" + mode);
        AssertSwitched(baseline, baselineSarif, build, mode == "None" ? null : "error");
    }

    [Fact]
    public async Task AnalysisModeProperty_RejectsAnUnknownValue()
    {
        var (consumer, _, _) = await ShowcaseBuild();
        var build = await consumer.BuildAsync("--no-restore", "-p:SafePosixAnalysisMode=Loud");
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("SAFEPOSIX0001", build.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("error")]
    public async Task OneEditorConfigLine_SetsEverySafePosixRuleAndNoSdkRule(string severity)
    {
        var (_, baseline, baselineSarif) = await ShowcaseBuild();
        var consumer = await Configured(editorConfig: new[] { $"{CategoryLine} = {severity}" });
        var build = await consumer.BuildAsync("--no-restore");
        AssertSwitched(baseline, baselineSarif, build, severity == "none" ? null : "error");
    }

    [Fact]
    public async Task PerRuleLine_WinsOverTheCategoryLine()
    {
        var consumer = await Configured(editorConfig: new[] { $"{CategoryLine} = error", "dotnet_diagnostic.PSX1004.severity = none" });
        var build = await consumer.BuildAsync("--no-restore");
        Assert.NotEmpty(build.Safeposix);
        Assert.DoesNotContain(build.Safeposix, d => d.Id == "PSX1004");
        Assert.All(build.Safeposix, d => Assert.Equal("error", d.Severity));
    }

    /// <summary>The user's own lines beat the mode property: it is a category line at the lowest global level.</summary>
    [Theory]
    [InlineData("Error", ".editorconfig", CategoryLine + " = warning", null)]
    [InlineData("None", ".globalconfig", CategoryLine + " = warning", null)]
    [InlineData("Error", ".editorconfig", "dotnet_diagnostic.PSX1004.severity = warning", "PSX1004")]
    public async Task UsersOwnLines_WinOverTheAnalysisModeProperty(string mode, string file, string line, string? onlyRule)
    {
        var consumer = file == ".editorconfig" ? await Configured(editorConfig: new[] { line }) : await Configured(globalConfig: new[] { line });
        var build = await consumer.BuildAsync("--no-restore", "-p:SafePosixAnalysisMode=" + mode);
        Assert.NotEmpty(build.Safeposix);
        foreach (var diagnostic in build.Safeposix)
        {
            var expected = onlyRule is null || diagnostic.Id == onlyRule ? "warning" : "error";
            Assert.True(expected == diagnostic.Severity, $"{diagnostic} should be a {expected}.\n{build}");
        }
    }

    [Fact]
    public async Task PerRuleLinePragmaSuppressMessageAndGeneratedCode_AreSilent()
    {
        var consumer = _feed.NewConsumer("suppress").AnalyzersPackage()
            .EditorConfig("dotnet_diagnostic.PSX1001.severity = none")
            .File("Native.cs", """
                using System;
                using System.Runtime.InteropServices;

                internal static class Native
                {
                    [DllImport("libc", SetLastError = true)]
                    internal static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

                    [DllImport("libc", SetLastError = true)]
                    internal static extern int fork();
                }
                """)
            .File("Mappings.cs", """
                using System;
                using System.Diagnostics.CodeAnalysis;
                using System.Runtime.InteropServices;

                internal static class Mappings
                {
                    public static void Reported(int fd) => Marshal.WriteByte(Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0), 1);

                    public static void Pragma(int fd)
                    {
                #pragma warning disable PSX3001 // reviewed
                        Marshal.WriteByte(Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0), 1);
                #pragma warning restore PSX3001
                    }

                    [SuppressMessage("SafePosix", "PSX3001", Justification = "reviewed")]
                    public static void Attribute(int fd) => Marshal.WriteByte(Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0), 1);

                    public static int OffByItsOwnLine() => Native.fork();
                }
                """)
            .File("Interop.g.cs", """
                using System;
                using System.Runtime.InteropServices;

                internal static class GeneratedByName
                {
                    public static void Map(int fd) => Marshal.WriteByte(Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0), 1);
                }
                """)
            .File("Tool.cs", """
                // <auto-generated/>
                using System;
                using System.Runtime.InteropServices;

                internal static class GeneratedByHeader
                {
                    public static void Map(int fd) => Marshal.WriteByte(Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0), 1);
                }
                """);
        var build = await consumer.BuildAsync();
        Assert.True(build.ExitCode == 0, build.ToString());
        var reported = Assert.Single(build.Safeposix);
        Assert.Equal(("PSX3001", "Mappings.cs", 7), (reported.Id, Path.GetFileName(reported.File), reported.Line));
    }

    private const string RuntimeUse = """
        using System;
        using System.Runtime.InteropServices;
        using SafePosix;

        internal static class Work
        {
            [DllImport("libc", SetLastError = true)]
            private static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

            public static void Map(int fd) => Marshal.WriteByte(mmap(IntPtr.Zero, 4096, 3, 1, fd, 0), 1);

            public static int Run()
            {
                BODY
            }
        }
        """;

    private const string RuntimeCall = """
        using var child = ChildProcess.Start("/bin/true");
                return child.WaitForExit().ExitCode;
        """;

    [Theory]
    [InlineData("nothing", true)]
    [InlineData("guard", false)]
    [InlineData("assembly-attribute", false)]
    [InlineData("project-item", false)]
    public async Task RuntimePackageAlone_BringsTheWarnings_AndTheReadmesAdviceRemovesCA1416(string advice, bool expectCa1416)
    {
        var body = advice == "guard"
            ? "if (OperatingSystem.IsLinux())\n        {\n            " + RuntimeCall + "\n        }\n\n        return -1;"
            : RuntimeCall;
        var consumer = _feed.NewConsumer("runtime-" + advice).RuntimePackage().File("Work.cs", RuntimeUse.Replace("BODY", body, StringComparison.Ordinal));
        if (advice == "assembly-attribute")
        {
            consumer.File("Platform.cs", "[assembly: System.Runtime.Versioning.SupportedOSPlatform(\"linux\")]\n");
        }
        else if (advice == "project-item")
        {
            consumer.Item("<AssemblyAttribute Include=\"System.Runtime.Versioning.SupportedOSPlatformAttribute\"><_Parameter1>linux</_Parameter1></AssemblyAttribute>");
        }

        var build = await consumer.BuildAsync();
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains(build.Safeposix, d => d.Id == "PSX3001" && d.Message.EndsWith($"({_feed.HelpLink("PSX3001")})", StringComparison.Ordinal));
        Assert.True(expectCa1416 == build.Diagnostics.Any(d => d.Id == "CA1416"), build.ToString());
        Assert.DoesNotContain(build.Diagnostics, d => d.Id is "CS9057" or "CS8032" or "CS8033" or "AD0001");
    }

    /// <summary>Both packages carry the analyzers and the mode targets: still one diagnostic per mistake, one mode file.</summary>
    [Fact]
    public async Task BothPackages_ReportEachMistakeOnce_AndApplyTheModeOnce()
    {
        var consumer = _feed.NewConsumer("both").RuntimePackage().AnalyzersPackage()
            .File("Work.cs", RuntimeUse.Replace("BODY", "return 0;", StringComparison.Ordinal));
        var sarif = Path.Combine(consumer.ProjectDirectory, "both.sarif");
        var build = await consumer.BuildAsync("-p:ErrorLog=" + sarif + "%2Cversion=2.1", "-p:SafePosixAnalysisMode=Error");
        Assert.NotEqual(0, build.ExitCode);
        var reported = Assert.Single(build.Safeposix);
        Assert.Equal(("PSX3001", "error"), (reported.Id, reported.Severity));
        // Two copies of the same global config would conflict (a compiler warning about duplicate keys).
        Assert.All(build.Diagnostics, d => Assert.True(d.Id.StartsWith("PSX", StringComparison.Ordinal) || d.Id.StartsWith("CA", StringComparison.Ordinal), d.ToString()));
        using var log = JsonDocument.Parse(File.ReadAllText(sarif));
        var results = log.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Where(r => r.GetProperty("ruleId").GetString() == "PSX3001").ToList();
        Assert.Single(results);
    }

    private static void AssertSwitched(CommandResult baseline, string baselineSarif, CommandResult build, string? severity)
    {
        Assert.Contains(baseline.Diagnostics, d => d.Id == "CA2014" && d.Severity == "warning");
        Assert.Contains(build.Diagnostics, d => d.Id == "CA2014" && d.Severity == "warning");
        if (severity is null)
        {
            Assert.True(!build.Safeposix.Any() && build.ExitCode == 0, build.ToString());
            return;
        }

        // The switch raises the info-level rules too (PSX2005): the console shows no infos, the baseline's SARIF log does.
        Assert.NotEqual(0, build.ExitCode);
        var expected = baseline.Safeposix.Select(d => (Path.GetFileName(d.File), d.Line, d.Column, d.Id))
            .Concat(SafePosixNotes(baselineSarif))
            .Distinct()
            .OrderBy(d => d);
        // Compared by place and rule: one expression may carry two findings of one rule (PSX2003: a discarded wait
        // result and an unchecked decode), which the SARIF notes cannot tell apart from one.
        Assert.Equal(expected, build.Safeposix.Select(d => (Path.GetFileName(d.File), d.Line, d.Column, d.Id)).Distinct().OrderBy(d => d));
        Assert.All(build.Safeposix, d => Assert.Equal(severity, d.Severity));
    }

    /// <summary>The info-level ("note") SafePosix results of a SARIF 2.1 log, located as the console prints diagnostics.</summary>
    private static IEnumerable<(string File, int Line, int Column, string Id)> SafePosixNotes(string sarifPath)
    {
        using var sarif = JsonDocument.Parse(File.ReadAllText(sarifPath));
        var notes = new List<(string, int, int, string)>();
        foreach (var result in sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray())
        {
            var id = result.GetProperty("ruleId").GetString()!;
            if (!id.StartsWith("PSX", StringComparison.Ordinal) || !IsNote(result))
            {
                continue;
            }

            var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
            var region = location.GetProperty("region");
            var file = Path.GetFileName(new Uri(location.GetProperty("artifactLocation").GetProperty("uri").GetString()!).LocalPath);
            notes.Add((file, region.GetProperty("startLine").GetInt32(), region.GetProperty("startColumn").GetInt32(), id));
        }

        return notes;
    }

    private static bool IsNote(JsonElement result)
        => result.TryGetProperty("level", out var level) && level.GetString() == "note";

    [GeneratedRegex(@"(?<!\bno )PSX[0-9]{4}")]
    private static partial Regex NamedRule();
}
