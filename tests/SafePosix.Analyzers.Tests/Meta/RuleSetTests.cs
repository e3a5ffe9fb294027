using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Meta;

/// <summary>Consistency of the rule set: links, pages, titles, fixers, the README table, and robustness.</summary>
public sealed class RuleSetTests
{
    [Fact]
    public void Catalog_FindsAnalyzersAndFixers()
    {
        Assert.NotEmpty(RuleCatalog.Analyzers);
        Assert.NotEmpty(RuleCatalog.Fixers);
        Assert.Contains(RuleCatalog.Rules, r => r.Id == RuleIds.UncheckedMmapResult);
    }

    [Fact]
    public void EveryDescriptor_LinksToItsOwnPage()
    {
        foreach (var descriptor in RuleCatalog.AllDescriptors)
        {
            Assert.Equal(RuleIds.HelpLink(descriptor.Id), descriptor.HelpLinkUri);
            Assert.EndsWith("docs/rules/" + descriptor.Id + ".md", descriptor.HelpLinkUri, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(RuleCatalog.RuleIdData), MemberType = typeof(RuleCatalog))]
    public void EveryRule_HasAPageTitledLikeItsDescriptor(string id)
    {
        var page = RuleCatalog.PathInRepository("docs", "rules", id + ".md");
        Assert.True(File.Exists(page), "Missing docs page " + page);
        var descriptor = RuleCatalog.Rules.Single(r => r.Id == id);
        Assert.Equal($"# {id}: {descriptor.Title}", File.ReadLines(page).First());
    }

    [Fact]
    public void DescriptorsSharingAnId_AgreeOnTitleCategoryAndSeverity()
    {
        foreach (var group in RuleCatalog.AllDescriptors.GroupBy(d => d.Id))
        {
            Assert.Single(group.Select(d => (d.Title.ToString(), d.Category, d.DefaultSeverity, d.IsEnabledByDefault)).Distinct());
        }
    }

    /// <summary>A squiggle tooltip and a CI log show one line: what is wrong and what to do. The why goes to the description.</summary>
    public const int MaxMessageLength = 120;

    // {0} is the libc function in most messages: rendered as the longest one a rule names (LongFunction). Other
    // placeholders get a long but realistic written name (LongName, the length ChildWork.MaxNameLength keeps names to).
    // Messages whose arguments are something else (a phrase, a user's name in {0}) list theirs, keyed by the format.
    private const string LongFunction = "posix_spawnp";
    private const string LongName = "Native.ExecWithEnvironmentOrDie";
    private static readonly Dictionary<string, string[]> LongestArguments = new(StringComparer.Ordinal)
    {
        // {0} is a Windows import here, {1} the saved-value reader to use instead.
        ["Imported GetLastError reads a live code the runtime may reset after '{0}'; use {1}"] =
            new[] { "AdjustTokenPrivileges", "GetLastPInvokeError" },
        ["'{0}' from managed code: the child {1}; use Process.Start or posix_spawn"] =
            new[] { "forkpty", "calls '" + LongName + "'" },
        ["Nothing waits for the '{0}' child ({1}), so it stays a zombie; call waitpid"] =
            new[] { LongFunction, "pid only in 'childProcessIdentifier'" },
        ["'{0}' fails with MAP_FAILED ((void*)-1), never '{1}'; compare the result with MAP_FAILED instead"] =
            new[] { "mremap", "(void*)IntPtr.Zero" },
        ["The '{0}' child ends with '{1}', which runs the parent's exit handlers; end the child with _exit"] =
            new[] { "forkpty", "Environment.FailFast" },
        ["'{0}' gets SIGKILL but is never waited for, so it stays a zombie; call waitpid after kill"] = new[] { LongName },
        ["'{0}' creates an IPC object with mode {1}, which lets other users write to it; narrow the mode to 0600"] =
            new[] { "shm_open", "01777" },
        ["A failed '{0}' returns -1, and {1}(-1, ...) {2}; check the pid for -1 first"] =
            new[] { "forkpty", "killpg", "reaps any child, even those Process owns" },
        // A wrapper's name when it is short enough (LibcInvocation.MaxShownWrapperName), else the libc function.
        ["The result of '{0}' is discarded, so a failure goes unnoticed; check it for -1 and throw with errno"] =
            new[] { "RedirectStdoutOrDie" + "X" },
        ["munmap length {0} differs from the mapping's {1} bytes, so pages leak; pass the length given to mmap"] =
            new[] { "4294967296", "4294967296" },
        ["'{0}' reaps {1}, even those Process owns (WaitForExit then hangs); wait for your own pids"] =
            new[] { "waitpid", "any child of group 2147483647" },
        ["The child of '{0}' runs '{1}' with SIGPIPE ignored (inherited from .NET); reset it to default before exec"] =
            new[] { "forkpty", "execveat" },
        ["'{0}' with {1} lets the kernel reap every child: waits fail with ECHILD, Process.WaitForExit hangs"] =
            new[] { "SetSignalAction", "SA_NOCLDWAIT" },
        ["'{0}' reaps one child per signal, but SIGCHLDs coalesce and the rest stay zombies; loop until it returns 0 or -1"] =
            new[] { "waitpid" },
        ["'{0}' is read without checking {1}: for a child that ended otherwise it means nothing; check first"] =
            new[] { "WEXITSTATUS", "WIFSIGNALED" },
        ["'{0}' is read where the wait may have returned {1} and written nothing; check that it returned a pid first"] =
            new[] { LongFunction, "-1 or 0" },
        ["The vfork child calls '{0}' on the parent's stack; call only exec* and _exit there"] = new[] { LongName },
        ["The vfork child allocates '{0}' on the parent's heap; call only exec* and _exit there"] = new[] { LongName },
        ["The vfork child writes '{0}' into the parent's memory; call only exec* and _exit there"] = new[] { LongName },
    };

    [Fact]
    public void EveryMessage_RenderedWithLongArguments_FitsOnOneLine()
    {
        // Every offender at once, so a contributor fixes them in one pass.
        var problems = new List<string>();
        foreach (var descriptor in RuleCatalog.AllDescriptors)
        {
            var format = descriptor.MessageFormat.ToString();
            var arguments = LongestArguments.TryGetValue(format, out var known) ? known : new[] { LongFunction, LongName, LongName, LongName };
            var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments.Cast<object>().ToArray());
            if (message.EndsWith('.'))
            {
                problems.Add(descriptor.Id + ": messages are single sentences without a final period: " + message);
            }

            if (message.Contains('\n', StringComparison.Ordinal))
            {
                problems.Add(descriptor.Id + ": one line only: " + message);
            }

            if (message.Length > MaxMessageLength)
            {
                problems.Add($"{descriptor.Id}: {message.Length} characters, at most {MaxMessageLength} (format: {format}): {message}");
            }

            if (descriptor.Description.ToString().Length <= message.Length)
            {
                problems.Add(descriptor.Id + ": the description says why, at more length than the message");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EveryFixer_SupportsFixAllAndFixesAKnownRule()
    {
        var ids = RuleCatalog.Rules.Select(r => r.Id).ToHashSet();
        foreach (var fixer in RuleCatalog.Fixers)
        {
            Assert.NotNull(fixer.GetFixAllProvider());
            Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(id, ids));
        }
    }

    // The plain batch fixer applies only the actions whose key matches the one it is given, and `dotnet format` gives
    // the key of whichever diagnostic it collected first: null when that one has no fix (FormatPass tests the effect).
    [Fact]
    public void NoFixer_UsesTheKeyDependentBatchFixerDirectly()
        => Assert.DoesNotContain(RuleCatalog.Fixers, fixer => ReferenceEquals(fixer.GetFixAllProvider(), WellKnownFixAllProviders.BatchFixer));

    [Theory]
    [MemberData(nameof(RuleCatalog.RuleIdData), MemberType = typeof(RuleCatalog))]
    public void EveryPage_SaysThereIsAFix_ExactlyWhenAFixerExists(string id)
        => Assert.True(RuleCatalog.FixLabel(id) == "no" != RuleCatalog.HasFix(id),
            $"docs/rules/{id}.md's Code fix row says '{RuleCatalog.FixLabel(id)}', but {(RuleCatalog.HasFix(id) ? "a fixer" : "no fixer")} handles {id}.");

    [Fact]
    public void Readme_RuleTableMatchesTheDescriptors()
    {
        var readme = File.ReadAllText(RuleCatalog.PathInRepository("README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        const string begin = "<!-- rules:begin -->\n";
        const string end = "<!-- rules:end -->";
        var start = readme.IndexOf(begin, StringComparison.Ordinal);
        var stop = readme.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, "README.md needs the rule table between <!-- rules:begin --> and <!-- rules:end -->.");
        var actual = readme.Substring(start + begin.Length, stop - start - begin.Length);
        Assert.True(actual == RuleCatalog.ReadmeTable(), "README.md's rule table is out of date; it should be:\n" + RuleCatalog.ReadmeTable());
    }

    [Fact]
    public void ReleaseTracking_ListsEveryRule()
    {
        var unshipped = File.ReadAllText(RuleCatalog.PathInRepository("src", "Analyzers", "AnalyzerReleases.Unshipped.md"));
        var shipped = File.ReadAllText(RuleCatalog.PathInRepository("src", "Analyzers", "AnalyzerReleases.Shipped.md"));
        Assert.All(RuleCatalog.Rules, rule => Assert.True(
            unshipped.Contains(rule.Id + " |", StringComparison.Ordinal) || shipped.Contains(rule.Id + " |", StringComparison.Ordinal),
            rule.Id + " is not in the release tracking files"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("class")]
    [InlineData("class C { void M() { fork( } }")]
    [InlineData("using System.Runtime.InteropServices; class C { [DllImport(\"libc\")] static extern int fork(); void M() { var pid = fork(); if (pid == ) } }")]
    [InlineData("using System.Runtime.InteropServices; class C { [DllImport(\"libc\")] static extern System.IntPtr mmap(; void M() { var p = mmap(0, ; } }")]
    [InlineData("using System.Runtime.InteropServices; class C { [DllImport(\"libc\", EntryPoint = )] static extern int waitpid(int a, out int s, int o); void M() { waitpid(-1, out var s, ); switch (waitpid( } }")]
    [InlineData("using static Tmds.Linux.LibC; unsafe class C { void M() { var pid = vfork(); if (pid == 0) { execve(null, null, null); } else if (pid > ) _exit( } }")]
    [InlineData("using Mono.Unix.Native; class C { void M() { Syscall.mmap(; Stdlib.SetSignalAction(Signum.SIGPIPE, ); } }")]
    [InlineData("unsafe class C { delegate*<int> f; void M() { var x = f(); int* p = null; p[0] = x; } }")]
    public async Task EveryAnalyzer_SurvivesEmptyAndBrokenSource(string source)
    {
        var compilation = TestReferences.Compile(source);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, analyzer, _) => failures.Enqueue(analyzer.GetType().Name + ": " + exception), concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(RuleCatalog.Analyzers, options).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(failures);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }
}
