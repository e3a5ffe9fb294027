using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// Fix All in document scope on one document holding N diagnostics of one rule (the issue's target: 1,000 under 10 s),
/// the way an IDE runs it: the fixer's FixAllProvider gets the document's diagnostics and returns one code action,
/// whose operations yield the fixed solution. Usage:
///   SafePosix.Bench.Analyzers fixall [--count 1000] [--rules PSX4002,PSX5002,...] [--reps 3]
/// </summary>
internal static class FixAllBench
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        static unsafe class Native
        {
            public const int O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
            public static readonly IntPtr MAP_FAILED = new IntPtr(-1);

            [DllImport("libc", SetLastError = true)]
            public static extern int open(string path, int flags, int mode);

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, UIntPtr length, int prot, int flags, int fd, IntPtr offset);

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        static unsafe class More
        {
            public const int IPC_CREAT = 0x200;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            public static extern int munmap(IntPtr addr, nuint length);

            [DllImport("libc", SetLastError = true)]
            public static extern int msgget(int key, int flags);

            [DllImport("libc", SetLastError = true)]
            public static extern nint write(int fd, byte* buffer, nint count);

            [DllImport("libc", EntryPoint = "open")]
            public static extern int OpenWithoutErrno(string path, int flags);
        }

        """;

    /// <summary>One method per call site; $I numbers it. Each case is one rule with a fixer.</summary>
    private static readonly (string Rule, string Method)[] Cases =
    {
        ("PSX4002", """
                public static int Open$I(string path) => Native.open(path, Native.O_RDWR | Native.O_CREAT, 0x180);

            """),
        ("PSX5002", """
                public static void Drop$I(uint user) { Syscall.setuid(user); }

            """),
        ("PSX3001", """
                public static byte Peek$I(int fd)
                {
                    IntPtr map = Native.mmap(IntPtr.Zero, (UIntPtr)4096, 1, 1, fd, IntPtr.Zero);
                    return Marshal.ReadByte(map);
                }

            """),
        ("PSX4004", """
                public static unsafe int Wait$I(void* fds, nuint count)
                {
                    int ready = Native.poll(fds, count, 1000);
                    if (ready == -1)
                    {
                        throw new InvalidOperationException("poll: " + Marshal.GetLastPInvokeError());
                    }

                    return ready;
                }

            """),
        ("PSX4001", """
                public static void Listen$I(System.Net.Sockets.Socket socket, string path)
                {
                    socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                    socket.Listen();
                }

            """),
        ("PSX3002", """
                public static int Header$I(int fd)
                {
                    IntPtr records = More.mmap(IntPtr.Zero, 4096, 1, 1, fd, 512);
                    if (records == Native.MAP_FAILED)
                    {
                        return -1;
                    }

                    int first = Marshal.ReadInt32(records);
                    More.munmap(records, 4096);
                    return first;
                }

            """),
        ("PSX3003", """
                public static byte Unmap$I(int fd)
                {
                    IntPtr map = More.mmap(IntPtr.Zero, 8192, 1, 1, fd, 0);
                    if (map == Native.MAP_FAILED)
                    {
                        return 0;
                    }

                    byte first = Marshal.ReadByte(map);
                    More.munmap(map, 4096);
                    return first;
                }

            """),
        ("PSX3004", """
                public static IntPtr MapForWriting$I(string path)
                {
                    int fd = Native.open(path, Native.O_WRONLY | Native.O_CLOEXEC, 0);
                    return More.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                }

            """),
        ("PSX4005", """
                public static int Queue$I(int key) => More.msgget(key, More.IPC_CREAT | 0x1b6);

            """),
        ("PSX4006", """
                public static void Close$I(int fd)
                {
                    int result;
                    do
                    {
                        result = Native.close(fd);
                    }
                    while (result == -1 && Marshal.GetLastPInvokeError() == 4);
                }

            """),
        ("PSX5001", """
                public static int OpenOrErrno$I(string path)
                {
                    int fd = More.OpenWithoutErrno(path, Native.O_RDWR | Native.O_CLOEXEC);
                    return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
                }

            """),
        ("PSX4003", """
                public static unsafe void Append$I(int fd, byte* record, int length)
                {
                    More.write(fd, record, length);
                }

            """),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var count = 1000;
        var reps = 3;
        string[]? rules = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--count": count = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rules": rules = Next().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                default:
                    await Console.Error.WriteLineAsync("usage: fixall [--count N] [--rules PSX4002,...] [--reps N]").ConfigureAwait(false);
                    return 2;
            }
        }

        var analyzers = AnalyzerSets.SafePosix().Analyzers;
        var fixers = Assembly.Load(new AssemblyName("SafePosix.CodeFixes")).GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToList();
        var monoRoot = AnalyzerSets.PackageRoot("Mono.Posix.NETStandard")
            ?? throw new InvalidOperationException("Mono.Posix.NETStandard's folder was not recorded at build time.");
        // The SafePosix runtime too (copied next to the bench at build time): PSX4003's fix calls it.
        var references = Program.FrameworkReferences()
            .Add(MetadataReference.CreateFromFile(Path.Combine(monoRoot, "ref", "netstandard2.0", "Mono.Posix.NETStandard.dll")))
            .Add(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "corpus-references", "SafePosix.dll")));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fix All in document scope, {count} call sites in one document, load {File.ReadAllText("/proc/loadavg").Trim()}"));
        Console.WriteLine();
        // CPU seconds beside the wall clock: on a machine shared with other work the wall clock grows with the load,
        // while the process's own CPU time stays close to what the Fix All costs on an idle machine.
        Console.WriteLine("| rule | fixer | diagnostics before | left after | analysis s | Fix All s (median of runs) | of which the action's operations (cleanup, formatting) | CPU s (median) | runs |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        var failed = false;
        foreach (var (rule, method) in Cases.Where(c => rules is null || rules.Contains(c.Rule, StringComparer.OrdinalIgnoreCase)))
        {
            var fixer = fixers.Single(f => f.FixableDiagnosticIds.Contains(rule));
            var source = new StringBuilder(OwnInterop).Append("static class Calls\n{\n");
            for (var i = 0; i < count; i++)
            {
                source.Append(method.Replace("$I", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            }

            source.Append("}\n");
            var times = new List<double>();
            var cleanup = new List<double>();
            var cpu = new List<double>();
            int before = 0, after = 0;
            double analysis = 0;
            for (var rep = 0; rep < reps; rep++)
            {
                using var workspace = new AdhocWorkspace();
                var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "FixAll", "FixAll",
                    LanguageNames.CSharp,
                    compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true),
                    parseOptions: Corpus.ParseOptions,
                    metadataReferences: references));
                var document = workspace.AddDocument(project.Id, "Calls.cs", SourceText.From(source.ToString(), Encoding.UTF8));

                var clock = Stopwatch.StartNew();
                var diagnostics = await DiagnosticsAsync(document, analyzers, rule).ConfigureAwait(false);
                analysis = clock.Elapsed.TotalSeconds;
                before = diagnostics.Length;

                // The equivalence key of the first diagnostic's fix: Fix All applies that fix everywhere.
                var actions = new List<CodeAction>();
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (a, _) => actions.Add(a), CancellationToken.None)).ConfigureAwait(false);
                if (actions.Count == 0)
                {
                    throw new InvalidOperationException($"{rule}: the fixer offers no fix for the template");
                }

                var provider = fixer.GetFixAllProvider()
                    ?? throw new InvalidOperationException($"{rule}: the fixer has no Fix All");
                var context = new FixAllContext(document, fixer, FixAllScope.Document, actions[0].EquivalenceKey,
                    new[] { rule }, new DocumentDiagnostics(analyzers, rule), CancellationToken.None);

                var cpuBefore = Environment.CpuUsage.TotalTime;
                clock.Restart();
                var fixAll = await provider.GetFixAsync(context).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"{rule}: Fix All returned no action");
                var computed = clock.Elapsed.TotalSeconds;
                var operations = await fixAll.GetOperationsAsync(CancellationToken.None).ConfigureAwait(false);
                var fixedSolution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
                var fixedDocument = fixedSolution.GetDocument(document.Id)!;
                _ = await fixedDocument.GetSyntaxRootAsync().ConfigureAwait(false);
                times.Add(clock.Elapsed.TotalSeconds);
                cleanup.Add(clock.Elapsed.TotalSeconds - computed);
                cpu.Add((Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds);

                after = (await DiagnosticsAsync(fixedDocument, analyzers, rule).ConfigureAwait(false)).Length;
            }

            var median = Measurement.Median(times);
            failed |= median >= 10 || after != 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {rule} | {fixer.GetType().Name} | {before} | {after} | {analysis:F1} | {median:F2} | {Measurement.Median(cleanup):F2} | {Measurement.Median(cpu):F2} | {string.Join(", ", times.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} |"));
        }

        return failed ? 1 : 0;
    }

    private static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Document document, ImmutableArray<DiagnosticAnalyzer> analyzers, string rule)
    {
        var compilation = (await document.Project.GetCompilationAsync().ConfigureAwait(false))!;
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().ConfigureAwait(false);
        return diagnostics.Where(d => d.Id == rule).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    private sealed class DocumentDiagnostics(ImmutableArray<DiagnosticAnalyzer> analyzers, string rule) : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            await DiagnosticsAsync(document, analyzers, rule).ConfigureAwait(false);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        {
            var all = new List<Diagnostic>();
            foreach (var document in project.Documents)
            {
                all.AddRange(await DiagnosticsAsync(document, analyzers, rule).ConfigureAwait(false));
            }

            return all;
        }
    }
}
