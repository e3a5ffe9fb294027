using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Tests.Meta;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Fuzz;

/// <summary>
/// In the IDE a project reference is a compilation reference: the referenced project's methods, fields and types are
/// source symbols whose syntax lies in another compilation. Rules that read a helper's body, a readonly field's
/// initializer or a type's members must not ask this compilation for a model of those trees (it throws).
/// </summary>
public sealed class ProjectReferenceTests
{
    private const string Library = """
        using System;
        using System.Runtime.InteropServices;

        public static unsafe class Native
        {
            public static readonly IntPtr MAP_FAILED = new IntPtr(-1);

            [DllImport("libc", SetLastError = true)] public static extern int fork();
            [DllImport("libc", SetLastError = true)] public static extern int waitpid(int pid, out int status, int options);
            [DllImport("libc", SetLastError = true)] public static extern void _exit(int status);
            [DllImport("libc", SetLastError = true)] public static extern nint write(int fd, byte* buf, nuint count);
            [DllImport("libc")] public static extern int close(int fd);
            [DllImport("libc", SetLastError = true)] public static extern int kill(int pid, int sig);
            [DllImport("libc", SetLastError = true)] public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            public static int Fork() => fork();
            public static nint Write(int fd, byte* buf, nuint count) => write(fd, buf, count);
            public static IntPtr Map(nuint length, int fd, long offset) => mmap(IntPtr.Zero, length, 1, 2, fd, offset);
            public static void Die() => _exit(1);
        }

        public class Child
        {
            public int Pid;

            public void Reap() => Native.waitpid(Pid, out _, 0);
        }
        """;

    private const string User = """
        using System;
        using System.Runtime.InteropServices;

        public static unsafe class User
        {
            public static void Run(byte* buffer, Child child)
            {
                var pid = Native.Fork();
                if (pid == 0)
                {
                    Native.Die();
                }

                child.Pid = Native.fork();
                Native.Write(1, buffer, 10);
                var map = Native.Map(4096, 3, 100);
                if (map == Native.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                var direct = Native.mmap(IntPtr.Zero, 4096, 1, 2, 3, 0);
                if (direct == Native.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                if (Native.close(3) == -1)
                {
                    throw new InvalidOperationException("close: " + Marshal.GetLastPInvokeError());
                }
            }
        }

        public sealed class OwnChild : Child
        {
            public void Stop() => Native.kill(Pid, 9);
        }
        """;

    [Fact]
    public async Task CodeInAReferencedProject_ThrowsInNoAnalyzer()
    {
        var library = TestReferences.Compile(Library, "Library.cs");
        Assert.Empty(TestReferences.CompilerErrors(library));
        var user = CSharpCompilation.Create(
            "UserProject",
            new[] { CSharpSyntaxTree.ParseText(User, TestReferences.ParseOptions, "User.cs") },
            TestReferences.Default.Add(library.ToMetadataReference()),
            library.Options);
        Assert.Empty(TestReferences.CompilerErrors(user));

        var thrown = new ConcurrentQueue<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, analyzer, _) => thrown.Enqueue(analyzer.GetType().Name + ": " + exception),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var diagnostics = await user.WithAnalyzers(RuleCatalog.Analyzers.AddRange(RuleCatalog.RuleAnalyzers), options).GetAnalyzerDiagnosticsAsync();

        Assert.True(thrown.IsEmpty, string.Join("\n", thrown));
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        // The calls are still seen for what they are: the fork, and errno read after an import without SetLastError.
        Assert.Contains(diagnostics, d => d.Id == RuleIds.ForkFromManagedCode);
        Assert.Contains(diagnostics, d => d.Id == RuleIds.StaleErrno && d.AdditionalLocations.Count == 0);
    }
}
