using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.StaleUnixSocketPathAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class StaleUnixSocketPathAnalyzerTests
{
    [Fact]
    public Task ManagedSocket_BindToNewEndPoint_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        class Server
        {
            Socket Listen(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                {|#0:socket.Bind(new UnixDomainSocketEndPoint(path))|};
                socket.Listen();
                return socket;
            }
        }
        """, VerifyCS.Diagnostic("PSX4001").WithLocation(0)
            .WithMessage("Binding a unix socket to a path fails with EADDRINUSE while an old socket file is there; delete the file before binding"));

    [Fact]
    public Task ManagedSocket_EndPointInALocal_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Net;
        using System.Net.Sockets;

        class Server
        {
            const string SocketPath = "/run/app/control.sock";

            void Listen(Socket socket)
            {
                EndPoint endPoint = new UnixDomainSocketEndPoint(SocketPath);
                [|socket.Bind(endPoint)|];
            }
        }
        """);

    [Fact]
    public Task Mono_BindWithSockaddrUn_AndUnixEndPoint_AreReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;
        using Mono.Unix;
        using Mono.Unix.Native;

        class Server
        {
            void Raw(int fd, string path)
            {
                var address = new SockaddrUn(path);
                [|Syscall.bind(fd, address)|];
            }

            void Managed(Socket socket, string path) => [|socket.Bind(new UnixEndPoint(path))|];
        }
        """);

    [Fact]
    public Task Tmds_BindWithSockaddrUn_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Text;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Server
        {
            int Listen(string path)
            {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                sockaddr_un address = default;
                address.sun_family = AF_UNIX;
                Encoding.UTF8.GetBytes(path, new System.Span<byte>(address.sun_path, 107));
                return [|bind(fd, (sockaddr*)&address, (socklen_t)sizeof(sockaddr_un))|];
            }
        }
        """);

    [Fact]
    public Task OwnStructAndDllImport_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        unsafe struct SockaddrUnix
        {
            public ushort sun_family;
            public fixed byte sun_path[108];
        }

        static unsafe class Native
        {
            [DllImport("libc", EntryPoint = "bind", SetLastError = true)]
            public static extern int Bind(int fd, SockaddrUnix* address, uint length);
        }

        unsafe class Server
        {
            int Listen(int fd, SockaddrUnix address) => [|Native.Bind(fd, &address, 110)|];
        }
        """);

    [Fact]
    public async Task ExternLocalFunctionBind_WhereTheGateSeesNoImport_IsReported()
    {
        // Framework references only, and the one import is a local function, which the per-compilation gate does not see.
        var tree = CSharpSyntaxTree.ParseText("""
            using System.Runtime.InteropServices;

            unsafe struct SockaddrUnix
            {
                public ushort sun_family;
                public fixed byte sun_path[108];
            }

            unsafe class Server
            {
                int Listen(int fd, SockaddrUnix address)
                {
                    return bind(fd, &address, 110);

                    [DllImport("libc", SetLastError = true)]
                    static extern int bind(int fd, SockaddrUnix* address, uint length);
                }
            }
            """, TestReferences.ParseOptions);
        var compilation = CSharpCompilation.Create(
            "LocalImport",
            new[] { tree },
            Basic.Reference.Assemblies.Net80.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.False(PosixSurfaces.Create(compilation).MayCallMatchedFunction);

        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new StaleUnixSocketPathAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();

        Assert.Equal(new[] { "PSX4001" }, diagnostics.Select(d => d.Id));
    }

    [Fact]
    public Task LibraryImport_BindOverOwnStruct_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        unsafe struct sockaddr_un
        {
            public ushort sun_family;
            public fixed byte sun_path[108];
        }

        static unsafe partial class Native
        {
            [LibraryImport("libc", SetLastError = true)]
            public static partial int bind(int fd, sockaddr_un* address, uint length);
        }

        unsafe class Server
        {
            int Listen(int fd)
            {
                var address = new sockaddr_un { sun_family = 1 };
                return [|Native.bind(fd, &address, 110)|];
            }
        }
        """);

    // ---- silent ------------------------------------------------------------------------------------------------

    [Fact]
    public Task DeletedBefore_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                }

                socket.Bind(new UnixDomainSocketEndPoint(path));
            }

            void WithFileInfo(Socket socket, string path)
            {
                new FileInfo(path).Delete();
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """);

    [Fact]
    public Task UnlinkedBefore_IsSilent_OnRawSurfaces() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class Server
        {
            void Listen(int fd, string path)
            {
                Syscall.unlink(path);
                Syscall.bind(fd, new SockaddrUn(path));
            }
        }
        """);

    [Fact]
    public Task ConnectFirstProbe_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                var endPoint = new UnixDomainSocketEndPoint(path);
                using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
                {
                    try
                    {
                        probe.Connect(endPoint);
                        throw new InvalidOperationException("Another server is listening on " + path);
                    }
                    catch (SocketException)
                    {
                        File.Delete(path);
                    }
                }

                socket.Bind(endPoint);
            }
        }
        """);

    [Fact]
    public Task OwnCleanupHelperGivenThePath_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                RemoveStaleSocket(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }

            static void RemoveStaleSocket(string path) { }
        }
        """);

    [Fact]
    public Task AbstractAddresses_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;
        using Mono.Unix.Native;

        class Server
        {
            void Nul(Socket socket) => socket.Bind(new UnixDomainSocketEndPoint("\0app-control"));
            void At(Socket socket, string name) => socket.Bind(new UnixDomainSocketEndPoint("@" + name));
            void Interpolated(Socket socket, int id) => socket.Bind(new UnixDomainSocketEndPoint($"\0app-{id}"));
            void Mono(int fd, string name) => Syscall.bind(fd, new SockaddrUn(name, linuxAbstractNamespace: true));
        }
        """);

    [Fact]
    public Task EndPointsItCannotSee_AndOtherFamilies_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System.Net;
        using System.Net.Sockets;

        class Server
        {
            EndPoint configured = new UnixDomainSocketEndPoint("/run/app.sock");

            void FromField(Socket socket) => socket.Bind(configured);
            void FromParameter(Socket socket, EndPoint endPoint) => socket.Bind(endPoint);
            void Tcp(Socket socket) => socket.Bind(new IPEndPoint(IPAddress.Loopback, 8080));
        }
        """);

    [Fact]
    public Task Mono_BindOnAConstantNegativeDescriptor_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class AddressTests
        {
            void LongPathGoesThroughMalloc(string path)
            {
                var address = new SockaddrUn(path);
                Syscall.bind(-1, address);
            }

            void RealSocket(int fd, string path) => [|Syscall.bind(fd, new SockaddrUn(path))|];
        }
        """);
}
