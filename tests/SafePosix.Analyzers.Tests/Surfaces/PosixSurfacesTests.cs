using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Surfaces;

public sealed class PosixSurfacesTests
{
    [Theory]
    [InlineData("[DllImport(\"libc\")] static extern int fork();", "fork()", "fork")]
    [InlineData("[DllImport(\"libc\", EntryPoint = \"fork\")] static extern int Fork();", "Fork()", "fork")]
    [InlineData("[DllImport(\"c\", EntryPoint = \"fork\")] static extern int Fork();", "Fork()", "fork")]
    [InlineData("[DllImport(\"libc.so.6\")] static extern int fork();", "fork()", "fork")]
    [InlineData("[DllImport(\"util\")] static extern int forkpty(out int master, IntPtr name, IntPtr termp, IntPtr winp);", "forkpty(out _, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero)", "forkpty")]
    [InlineData("[DllImport(\"libSystem.dylib\", EntryPoint = \"mmap\")] static extern IntPtr Map(IntPtr a, nuint l, int p, int f, int fd, nint o);", "Map(IntPtr.Zero, 1, 0, 0, 0, 0)", "mmap")]
    [InlineData("[LibraryImport(\"libc\", EntryPoint = \"waitpid\")] private static partial int WaitPid(int pid, out int status, int options);", "WaitPid(1, out _, 0)", "waitpid")]
    [InlineData("[LibraryImport(\"libc\")] private static partial int kill(int pid, int sig);", "kill(1, 9)", "kill")]
    public void OwnInterop_ResolvesEntryPoint(string declaration, string call, string expected)
    {
        var source = $$"""
            using System;
            using System.Runtime.InteropServices;

            static partial class Native
            {
                {{declaration}}

                static void Use() { {{call}}; }
            }
            """;

        var (function, surface) = Resolve(source, call.Substring(0, call.IndexOf('(')));
        Assert.Equal(expected, function);
        Assert.Equal(PosixSurface.OwnInterop, surface);
    }

    [Fact]
    public void ExternLocalFunction_ResolvesEntryPoint()
    {
        var (function, surface) = Resolve("""
            using System.Runtime.InteropServices;

            class C
            {
                void M()
                {
                    Fork();

                    [DllImport("libc", EntryPoint = "fork")]
                    static extern int Fork();
                }
            }
            """, "Fork");
        Assert.Equal("fork", function);
        Assert.Equal(PosixSurface.OwnInterop, surface);
    }

    [Fact]
    public void Tmds_ResolvesByBindingClass()
    {
        var (function, surface) = Resolve("""
            using static Tmds.Linux.LibC;

            unsafe class C
            {
                void M() => vfork();
            }
            """, "vfork");
        Assert.Equal("vfork", function);
        Assert.Equal(PosixSurface.Tmds, surface);
    }

    [Fact]
    public void MonoNative_ResolvesHelperBackedMembersByName()
    {
        var (function, surface) = Resolve("""
            using System;
            using Mono.Unix.Native;

            class C
            {
                void M() => Syscall.mmap(IntPtr.Zero, 1, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, -1, 0);
            }
            """, "mmap");
        Assert.Equal("mmap", function);
        Assert.Equal(PosixSurface.MonoNative, surface);
    }

    [Fact]
    public void MonoStdlibThroughSyscall_ResolvesAsMono()
    {
        var (function, surface) = Resolve("""
            using Mono.Unix.Native;

            class C
            {
                void M() => Syscall.exit(1);
            }
            """, "exit");
        Assert.Equal("exit", function);
        Assert.Equal(PosixSurface.MonoNative, surface);
    }

    [Fact]
    public void MonoLegacySyscall_ResolvesAsLegacy()
    {
        var (function, surface) = Resolve("""
            #pragma warning disable CS0612, CS0618
            class C
            {
                int M() => Mono.Posix.Syscall.fork();
            }
            """, "fork");
        Assert.Equal("fork", function);
        Assert.Equal(PosixSurface.MonoLegacy, surface);
    }

    [Fact]
    public void SameNamedMethodThatIsNotPInvoke_IsNotLibc()
    {
        var source = """
            class C
            {
                static int fork() => 0;
                void M() => fork();
            }
            """;
        Assert.Null(Resolve(source, "fork").Function);
    }

    [Theory]
    [InlineData("[DllImport(\"ws2_32.dll\", EntryPoint = \"select\")] static extern int Select(int n, IntPtr r, IntPtr w, IntPtr e, IntPtr t);", "Select(0, default, default, default, default)")]
    [InlineData("[DllImport(\"WS2_32\")] static extern IntPtr socket(int af, int type, int protocol);", "socket(2, 1, 0)")]
    [InlineData("[LibraryImport(\"ws2_32\")] private static partial int send(IntPtr s, IntPtr buffer, int length, int flags);", "send(default, default, 0, 0)")]
    [InlineData("[DllImport(\"api-ms-win-crt-stdio-l1-1-0.dll\", EntryPoint = \"_pipe\")] static extern int pipe(IntPtr fds, uint size, int mode);", "pipe(default, 0, 0)")]
    public void WindowsLibraryImport_IsNotLibc(string declaration, string call)
    {
        var source = $$"""
            using System;
            using System.Runtime.InteropServices;

            static partial class Native
            {
                {{declaration}}

                static void Use() { {{call}}; }
            }
            """;
        Assert.Null(Resolve(source, call.Substring(0, call.IndexOf('('))).Function);
    }

    [Fact]
    public void ExternWithoutDllImport_IsNotLibc()
    {
        var source = """
            using System.Runtime.CompilerServices;

            class C
            {
                [MethodImpl(MethodImplOptions.InternalCall)]
                static extern int fork();
                void M() => fork();
            }
            """;
        Assert.Null(Resolve(source, "fork").Function);
    }

    [Theory]
    [InlineData("Native.MAP_FAILED", -1L)]
    [InlineData("Native.MapFailedConst", -1L)]
    [InlineData("new IntPtr(-1)", -1L)]
    [InlineData("(IntPtr)(-1)", -1L)]
    [InlineData("-1", -1L)]
    [InlineData("IntPtr.Zero", 0L)]
    [InlineData("default(IntPtr)", 0L)]
    [InlineData("Syscall.MAP_FAILED", -1L)]
    [InlineData("(IntPtr)LibC.MAP_FAILED", -1L)]
    [InlineData("(IntPtr)LibC.SIG_IGN", 1L)]
    [InlineData("(IntPtr)LibC.SIG_DFL", 0L)]
    [InlineData("Native.NotReadonly", null)]
    [InlineData("Environment.ProcessorCount", null)]
    public void Sentinels_EvaluateAcrossSurfaces(string expression, long? expected)
    {
        var source = $$"""
            using System;
            using Mono.Unix.Native;
            using Tmds.Linux;

            static unsafe class Native
            {
                public static readonly IntPtr MAP_FAILED = new IntPtr(-1);
                public const nint MapFailedConst = -1;
                public static IntPtr NotReadonly = new IntPtr(-1);
                static object Probe() => {{expression}};
            }
            """;
        var (compilation, tree) = Compile(source);
        var model = compilation.GetSemanticModel(tree);
        var probe = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == "Probe");
        var operation = model.GetOperation(probe.ExpressionBody!.Expression);
        var values = new LibcValues(PosixSurfaces.Create(compilation));
        Assert.Equal(expected, values.IntegerValue(operation, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("fork()")]
    [InlineData("Kill(1, 9)")]
    [InlineData("LibC.getpid()")]
    [InlineData("Syscall.getpid()")]
    [InlineData("Fork()")]
    [InlineData("Exit(1)")]
    public void MayReachLibc_ForImportsBindingsAndTheProjectsOwnWrappers(string call)
        => Assert.True(MayReachLibc(call));

    [Theory]
    [InlineData("Console.WriteLine()")]
    [InlineData("new List<int>().Add(1)")]
    [InlineData("Marshal.GetLastPInvokeError()")]
    [InlineData("string.Format(\"{0}\", 1)")]
    [InlineData("Local()")]
    [InlineData("Log()")]
    [InlineData("mmap()")]
    [InlineData("write(1)")]
    public void MayReachLibc_NotForOtherMethods(string call)
        => Assert.False(MayReachLibc(call));

    private static bool MayReachLibc(string call)
    {
        var source = $$"""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;
            using Mono.Unix.Native;
            using Tmds.Linux;

            static partial class Native
            {
                [DllImport("libc")] static extern int fork();
                [LibraryImport("libc", EntryPoint = "kill")] private static partial int Kill(int pid, int sig);
                [LibraryImport("libc", EntryPoint = "_exit")] private static partial void Exit(int status);
                static int Fork() => Kill(0, 0);
                static void Log() { }

                // Named like libc functions, but neither can wrap one: a void method and a local function.
                static void write(int fd) { }

                static void Use()
                {
                    {{call}};
                    static int Local() => 0;
                    static IntPtr mmap() => IntPtr.Zero;
                }
            }
            """;
        var compilation = TestReferences.Compile(source);
        var errors = TestReferences.CompilerErrors(compilation).Where(e => !TestReferences.IsMissingGeneratedImplementation(e)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var tree = compilation.SyntaxTrees.Single();
        var invocation = tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>().Single(i => i.ToString() == call);
        var operation = (IInvocationOperation)compilation.GetSemanticModel(tree).GetOperation(invocation)!;
        return PosixSurfaces.Create(compilation).MayReachLibc(operation.TargetMethod);
    }

    private static (CSharpCompilation Compilation, SyntaxTree Tree) Compile(string source)
    {
        var compilation = TestReferences.Compile(source);
        var errors = TestReferences.CompilerErrors(compilation);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return (compilation, compilation.SyntaxTrees.Single());
    }

    private static (string? Function, PosixSurface? Surface) Resolve(string source, string calledName)
    {
        var (compilation, tree) = Compile(source);
        var model = compilation.GetSemanticModel(tree);
        var invocation = tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Single(i => i.Expression is IdentifierNameSyntax { Identifier.Text: var name } && name == calledName
                || i.Expression is MemberAccessExpressionSyntax { Name.Identifier.Text: var member } && member == calledName);
        var operation = (IInvocationOperation)model.GetOperation(invocation)!;
        var surfaces = PosixSurfaces.Create(compilation);
        return surfaces.TryGetLibcCall(operation.TargetMethod, out var call) ? (call.Function, call.Surface) : (null, null);
    }
}
