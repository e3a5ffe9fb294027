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
    public Task FolderDeletedBefore_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string folder)
            {
                Directory.Delete(folder, recursive: true);
                Directory.CreateDirectory(folder);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(folder, "control.sock")));
            }
        }
        """);

    // A plain Directory.Delete fails on a folder that still holds the stale socket; swallowed, the bind then fails.
    [Fact]
    public Task NonRecursiveFolderDelete_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                try { Directory.Delete("/run/app"); } catch (IOException) { }
                Directory.CreateDirectory("/run/app");
                [|socket.Bind(new UnixDomainSocketEndPoint("/run/app/control.sock"))|];
            }
        }
        """);

    [Fact]
    public Task ConfiguredPathWithARandomFallback_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                var path = Environment.GetEnvironmentVariable("APP_SOCKET") ?? Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".sock");
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    [Fact]
    public Task RandomPathOverwrittenThroughARef_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;

        class Server
        {
            void Listen(Socket socket)
            {
                var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".sock");
                Interlocked.Exchange(ref path, "/run/app.sock");
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    [Fact]
    public Task PathWithAFreshGuid_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                var name = Guid.NewGuid().ToString("N");
                var path = Path.Combine(Path.GetTempPath(), name + ".sock");
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """);

    [Fact]
    public Task PathInAFreshTempFolder_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                var folder = Directory.CreateTempSubdirectory();
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(folder.FullName, "control.sock")));
            }
        }
        """);

    // GetTempFileName creates the file: binding its path fails with EADDRINUSE every time.
    [Fact]
    public Task PathFromGetTempFileName_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                var path = Path.GetTempFileName();
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    // Mono.Posix's socket tests: the set-up deletes and recreates the folder before every test.
    [Fact]
    public Task TestWhoseSetUpDeletesTheFolder_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using Mono.Unix.Native;

        class TestInitializeAttribute : Attribute { }
        class TestMethodAttribute : Attribute { }

        class SocketTest
        {
            string TempFolder;

            [TestInitialize]
            public void SetUp()
            {
                TempFolder = Path.Combine(Path.GetTempPath(), GetType().FullName);
                if (Directory.Exists(TempFolder))
                    Directory.Delete(TempFolder, true);
                Directory.CreateDirectory(TempFolder);
            }

            [TestMethod]
            public void Bind()
            {
                WithSocket(so => {
                    var address = new SockaddrUn(TempFolder + "/socket2");
                    if (Syscall.bind(so, address) < 0)
                        throw new InvalidOperationException();
                });
            }

            static void WithSocket(Action<int> test) => test(Syscall.socket(UnixAddressFamily.AF_UNIX, UnixSocketType.SOCK_STREAM, 0));
        }
        """);

    [Fact]
    public Task XunitTestWhoseConstructorDeletesThePath_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        using Xunit;

        namespace Xunit { class FactAttribute : Attribute { } }

        public class ServerTests
        {
            private readonly string _path = "/tmp/server-tests.sock";

            public ServerTests() => File.Delete(_path);

            [Fact]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(_path));
            }
        }
        """);

    // The helper runs inside the tests, each after the constructor that deletes the path.
    [Fact]
    public Task HelperOfAnXunitClassWhoseConstructorDeletesThePath_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        using Xunit;

        namespace Xunit { class FactAttribute : Attribute { } }

        public class ServerTests
        {
            private readonly string _path = "/tmp/server-tests.sock";

            public ServerTests() => File.Delete(_path);

            [Fact]
            public void Binds()
            {
                using var socket = Listen();
            }

            private Socket Listen()
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(_path));
                return socket;
            }
        }
        """);

    [Fact]
    public Task TestWhoseSetUpDeletesAnotherFile_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _database = "/tmp/tests.db";
            private readonly string _socket = "/tmp/server-tests.sock";

            [SetUp]
            public void Clean() => File.Delete(_database);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(_socket))|];
            }
        }
        """);

    // Outside a test class the constructor runs once, and a second Start binds over the first one's file.
    [Fact]
    public Task ConstructorDeletes_StartBindsLater_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        public class Server
        {
            private readonly string _path;
            private Socket _socket;

            public Server(string path)
            {
                _path = path;
                File.Delete(path);
            }

            public void Start()
            {
                _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|_socket.Bind(new UnixDomainSocketEndPoint(_path))|];
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
            void Interpolated(Socket socket, int id) => socket.Bind(new UnixDomainSocketEndPoint($"\0app-{id}"));
            void Mono(int fd, string name) => Syscall.bind(fd, new SockaddrUn(name, linuxAbstractNamespace: true));
        }
        """);

    // '@' is only how tools print an abstract address: UnixDomainSocketEndPoint binds "@name" as a file of that name.
    [Fact]
    public Task AtPrefixedPath_IsAFile_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        class Server
        {
            void At(Socket socket, string name) => [|socket.Bind(new UnixDomainSocketEndPoint("@" + name))|];
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

    // ---- callers vouch for a wrapper no other assembly can call ----------------------------------------------

    // Kestrel's Linux transport: the delete is two calls up, in the only code that can reach the wrapper. The TCP
    // listener calls the other overloads, which are no callers of the unix ones.
    [Fact]
    public Task InternalWrapper_WhoseOnlyCallerDeletesTwoCallsUp_IsSilent() => VerifyCS.AnalyzerAsync(KestrelSocket + """

        class Transport
        {
            public void Listen(string socketPath)
            {
                var unixSocket = new UnixSocket(socket(AF_UNIX, SOCK_STREAM, 0));
                File.Delete(socketPath);
                unixSocket.Bind(socketPath);
            }

            public void ListenTcp(ushort port) => new UnixSocket(socket(AF_INET, SOCK_STREAM, 0)).Bind(port);
        }
        """);

    [Fact]
    public Task InternalGenericWrapper_WhoseOnlyCallerDeletesFirst_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Listener<TState>
        {
            internal void Bind<TSocket>(TSocket socket, string path)
                where TSocket : Socket
                => socket.Bind(new UnixDomainSocketEndPoint(path));
        }

        class Server
        {
            void Start(Socket socket, string path)
            {
                File.Delete(path);
                new Listener<int>().Bind(socket, path);
            }
        }
        """);

    // Looking further up than three callers is not worth its cost: such a delete is not seen.
    [Fact]
    public Task DeleteFourCallsUp_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Start(Socket socket, string path)
            {
                File.Delete(path);
                Open(socket, path);
            }

            static void Open(Socket socket, string path) => Prepare(socket, path);

            static void Prepare(Socket socket, string path) => Listen(socket, path);

            static void Listen(Socket socket, string path) => Bind(socket, path);

            static void Bind(Socket socket, string path) => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
        }
        """);

    [Fact]
    public Task InternalWrapper_WhoseOnlyCallerDoesNotDelete_IsReported() => VerifyCS.AnalyzerAsync(KestrelSocket + """

        class Transport
        {
            public void Listen(string socketPath)
            {
                var unixSocket = new UnixSocket(socket(AF_UNIX, SOCK_STREAM, 0));
                unixSocket.Bind(socketPath);
            }
        }
        """, VerifyCS.Diagnostic("PSX4001").WithLocation(0));

    [Fact]
    public Task InternalWrapper_WhoseCallerDeletesOnlyAfterTheCall_IsReported() => VerifyCS.AnalyzerAsync(KestrelSocket + """

        class Transport
        {
            public void Listen(string socketPath)
            {
                var unixSocket = new UnixSocket(socket(AF_UNIX, SOCK_STREAM, 0));
                unixSocket.Bind(socketPath);
                File.Delete(socketPath);
            }
        }
        """, VerifyCS.Diagnostic("PSX4001").WithLocation(0));

    // Another assembly may call the wrapper without deleting; this compilation cannot see those callers.
    [Fact]
    public Task PublicWrapper_IsReported_EvenWhenItsOnlyCallerHereDeletes() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        public class UnixListener
        {
            public void Bind(Socket socket, string path) => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
        }

        class Server
        {
            void Start(Socket socket, string path)
            {
                File.Delete(path);
                new UnixListener().Bind(socket, path);
            }
        }
        """);

    [Fact]
    public Task InternalWrapper_WithOneCallerThatDeletesAndOneThatDoesNot_IsReported() => VerifyCS.AnalyzerAsync(KestrelSocket + """

        class Transport
        {
            public void Listen(UnixSocket unixSocket, string socketPath)
            {
                File.Delete(socketPath);
                unixSocket.Bind(socketPath);
            }

            public void Restart(UnixSocket unixSocket, string socketPath) => unixSocket.TryBind(socketPath);
        }
        """, VerifyCS.Diagnostic("PSX4001").WithLocation(0));

    // The delegate may be called anywhere, by code that never deleted the file.
    [Fact]
    public Task InternalWrapper_UsedAsAMethodGroup_IsReported() => VerifyCS.AnalyzerAsync(KestrelSocket + """

        class Transport
        {
            public void Listen(UnixSocket unixSocket, string socketPath)
            {
                File.Delete(socketPath);
                unixSocket.Bind(socketPath);
            }

            public System.Func<string, int> Binder(UnixSocket unixSocket) => unixSocket.TryBind;
        }
        """, VerifyCS.Diagnostic("PSX4001").WithLocation(0));

    [Fact]
    public Task PrivateMethod_WhoseOnlyCallerDeletesThePathFirst_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        public class Server
        {
            public Socket Start(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                File.Delete(path);
                Listen(socket, path);
                return socket;
            }

            private static void Listen(Socket socket, string path)
            {
                socket.Bind(new UnixDomainSocketEndPoint(path));
                socket.Listen();
            }
        }
        """);

    // xsp's tests: every caller hands in an abstract-namespace path, which leaves no file behind.
    [Fact]
    public Task PrivateMethod_WhoseCallersAllPassAbstractPaths_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        public class ServerTests
        {
            const string BackendPath = "\0backend";

            public void Run()
            {
                using var backend = Listen(BackendPath);
                using var frontend = Listen("\0frontend");
            }

            private static Socket Listen(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                return socket;
            }
        }
        """);

    [Fact]
    public Task PrivateMethod_WithOneCallerPassingAFilePath_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        public class ServerTests
        {
            public void Run()
            {
                using var backend = Listen("\0backend");
                using var frontend = Listen("/tmp/frontend.sock");
            }

            private static Socket Listen(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                return socket;
            }
        }
        """);

    // The caller's own cleanup helper counts when it is handed the argument that becomes the bound path.
    [Fact]
    public Task PrivateMethod_WhoseCallerHandsTheSamePathToItsCleanupHelperFirst_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        public class Server
        {
            public void Start(Socket socket, string path)
            {
                RemoveStaleSocket(path);
                Listen(socket, path);
            }

            private static void Listen(Socket socket, string path) => socket.Bind(new UnixDomainSocketEndPoint(path));

            private static void RemoveStaleSocket(string path) { }
        }
        """);

    // A helper handed some other value is no cleanup of the path the wrapper binds.
    [Fact]
    public Task PrivateMethod_WhoseCallerHandsAnotherValueToAHelperFirst_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        public class Server
        {
            public void Start(Socket socket, string path, string name)
            {
                Log(name);
                Listen(socket, path);
            }

            private static void Listen(Socket socket, string path) => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];

            private static void Log(string message) { }
        }
        """);

    // A recursive call is no way in of its own: every run of the wrapper starts at its other caller, which deletes.
    [Fact]
    public Task RecursiveInternalWrapper_WhoseOtherCallerDeletes_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Binder
        {
            internal static void BindWithRetry(Socket socket, string path, int attempts)
            {
                try
                {
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
                catch (SocketException) when (attempts > 0)
                {
                    BindWithRetry(socket, path, attempts - 1);
                }
            }
        }

        class Server
        {
            void Start(Socket socket, string path)
            {
                File.Delete(path);
                Binder.BindWithRetry(socket, path, 3);
            }
        }
        """);

    // With no other caller, nothing ever deletes: the recursion alone vouches for nothing.
    [Fact]
    public Task RecursiveInternalWrapper_WithoutOtherCallers_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        class Binder
        {
            internal static void BindWithRetry(Socket socket, string path, int attempts)
            {
                try
                {
                    [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                }
                catch (SocketException) when (attempts > 0)
                {
                    BindWithRetry(socket, path, attempts - 1);
                }
            }
        }
        """);

    // The bind in the lambda runs wherever the delegate is called, not where Start is.
    [Fact]
    public Task BindInALambda_OfAPrivateMethodWhoseCallerDeletes_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        public class Server
        {
            public Action Prepare(Socket socket, string path)
            {
                File.Delete(path);
                return Start(socket, path);
            }

            private static Action Start(Socket socket, string path) => () => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
        }
        """);

    [Fact]
    public Task BindInALocalFunction_OfAPrivateMethodWhoseCallerDeletes_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        public class Server
        {
            public void Prepare(Socket socket, string path)
            {
                File.Delete(path);
                Start(socket, path);
            }

            private static void Start(Socket socket, string path)
            {
                Bind();

                void Bind() => socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """);

    // Made into a delegate, the local function may run long after Start returned, wherever the delegate went.
    [Fact]
    public Task BindInALocalFunctionThatEscapesAsADelegate_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        public class Server
        {
            public Action Prepare(Socket socket, string path)
            {
                File.Delete(path);
                return Start(socket, path);
            }

            private static Action Start(Socket socket, string path)
            {
                return Bind;

                void Bind() => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    // A call that does not bind (incomplete code) may be meant for the wrapper: it cannot be judged.
    [Fact]
    public Task InternalWrapper_WithACallThatDoesNotBind_IsReported() => new PosixAnalyzerTest<StaleUnixSocketPathAnalyzer>
    {
        Source = """
            using System.IO;
            using System.Net.Sockets;

            class Binder
            {
                internal static void Bind(Socket socket, string path) => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }

            class Server
            {
                void Start(Socket socket, string path)
                {
                    File.Delete(path);
                    Binder.Bind(socket, path);
                }

                void Restart(Socket socket) => Binder.Bind(socket);
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();

    // The driver never shows generated code to a rule, so a caller there is not read: its delete does not count.
    [Fact]
    public Task InternalWrapper_WhoseDeletingCallerIsGeneratedCode_IsReported()
    {
        var test = new PosixAnalyzerTest<StaleUnixSocketPathAnalyzer>
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System.Net.Sockets;

                    class Binder
                    {
                        internal static void Bind(Socket socket, string path) => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                    }
                    """,
                    ("Server.g.cs", """
                    using System.IO;
                    using System.Net.Sockets;

                    class Server
                    {
                        void Start(Socket socket, string path)
                        {
                            File.Delete(path);
                            Binder.Bind(socket, path);
                        }
                    }
                    """),
                },
            },
        };
        return test.RunAsync();
    }

    [Fact]
    public Task InternalWrapper_CalledByACollectionInitializer_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Collections;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Sockets;

        class Listeners : IEnumerable<Socket>
        {
            private readonly List<Socket> _sockets = new List<Socket>();

            internal void Add(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                _sockets.Add(socket);
            }

            public IEnumerator<Socket> GetEnumerator() => _sockets.GetEnumerator();

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        class Server
        {
            Listeners Clean(string path)
            {
                File.Delete(path);
                var listeners = new Listeners();
                listeners.Add(path);
                return listeners;
            }

            Listeners Stale() => new Listeners { "/run/app.sock" };
        }
        """);

    [Fact]
    public Task InternalClassMethod_ThatImplementsAnInterfaceForADerivedClass_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        interface IServer
        {
            void Start(Socket socket, string path);
        }

        class ServerBase
        {
            public void Start(Socket socket, string path) => [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
        }

        class Server : ServerBase, IServer
        {
        }

        class Host
        {
            void Clean(Server server, Socket socket, string path)
            {
                File.Delete(path);
                server.Start(socket, path);
            }

            void Stale(IServer server, Socket socket) => server.Start(socket, "/run/app.sock");
        }
        """);

    [Fact]
    public Task DeletingCaller_InAFileWithAnUpperCaseGeneratedHeader_Vouches()
    {
        // The driver's test of an <auto-generated> header is case-sensitive: this file is hand-written.
        var test = new PosixAnalyzerTest<StaleUnixSocketPathAnalyzer>
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System.Net.Sockets;

                    class Binder
                    {
                        internal static void Bind(Socket socket, string path) => socket.Bind(new UnixDomainSocketEndPoint(path));
                    }
                    """,
                    ("Server.cs", """
                    // <AUTO-GENERATED> by hand: a shouting header, not a generator's
                    using System.IO;
                    using System.Net.Sockets;

                    class Server
                    {
                        void Start(Socket socket, string path)
                        {
                            File.Delete(path);
                            Binder.Bind(socket, path);
                        }
                    }
                    """),
                },
            },
        };
        return test.RunAsync();
    }

    [Fact]
    public Task DeletingCaller_InAPartialTypeWithGeneratedCodeOnAnotherPart_Vouches()
    {
        // As the driver does: [GeneratedCode] on one part of a partial type does not make the other parts generated.
        var test = new PosixAnalyzerTest<StaleUnixSocketPathAnalyzer>
        {
            TestState =
            {
                Sources =
                {
                    """
                    using System.IO;
                    using System.Net.Sockets;

                    class Binder
                    {
                        internal static void Bind(Socket socket, string path) => socket.Bind(new UnixDomainSocketEndPoint(path));
                    }

                    partial class Server
                    {
                        void Start(Socket socket, string path)
                        {
                            File.Delete(path);
                            Binder.Bind(socket, path);
                        }
                    }
                    """,
                    ("Server2.cs", """
                    [System.CodeDom.Compiler.GeneratedCode("tool", "1.0")]
                    partial class Server
                    {
                    }
                    """),
                },
            },
        };
        return test.RunAsync();
    }

    /// <summary>
    /// The shape of Kestrel's Linux transport (redhat-developer/kestrel-linux-transport, Socket.cs): an internal
    /// socket class whose Bind calls TryBind, which fills a sockaddr_un in a helper and binds it with Tmds.LibC.
    /// The report, when there is one, is at that bind.
    /// </summary>
    private const string KestrelSocket = """
        using System.IO;
        using System.Text;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class UnixSocket
        {
            private readonly int _fd;

            public UnixSocket(int fd) => _fd = fd;

            public void Bind(string unixPath)
            {
                if (TryBind(unixPath) < 0)
                {
                    throw new IOException("bind failed");
                }
            }

            public void Bind(ushort port)
            {
                if (TryBind(port) < 0)
                {
                    throw new IOException("bind failed");
                }
            }

            public int TryBind(ushort port)
            {
                sockaddr_in addr = default;
                addr.sin_family = AF_INET;
                addr.sin_port = htons(port);
                return bind(_fd, (sockaddr*)&addr, (socklen_t)sizeof(sockaddr_in));
            }

            public int TryBind(string unixPath)
            {
                sockaddr_un addr;
                GetSockaddrUn(unixPath, out addr);
                int rv = {|#0:bind(_fd, (sockaddr*)&addr, (socklen_t)sizeof(sockaddr_un))|};
                return rv;
            }

            private static void GetSockaddrUn(string unixPath, out sockaddr_un addr)
            {
                addr = default;
                addr.sun_family = AF_UNIX;
                var bytes = Encoding.UTF8.GetBytes(unixPath);
                for (int i = 0; i < bytes.Length && i < 107; i++)
                {
                    addr.sun_path[i] = bytes[i];
                }
            }
        }
        """;

    // An out var, then a random fallback: the configured value is what is bound when there is one.
    [Fact]
    public Task OutVarConfiguredPathWithRandomFallback_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, Dictionary<string, string> options)
            {
                if (!options.TryGetValue("socket", out var path))
                    path = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".sock");
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    // A random default handed to a lookup: the configured value is what is bound when there is one.
    [Fact]
    public Task RandomDefaultOfALookup_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, IReadOnlyDictionary<string, string> options)
            {
                var path = options.GetValueOrDefault("socket", Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".sock"));
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    // A static property both paths are built from (AppContext.BaseDirectory) does not make the set-up's delete this path's.
    [Fact]
    public Task SetUpDeletesAnotherFileUnderASharedStaticProperty_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            [SetUp]
            public void Clean() => File.Delete(Path.Combine(AppContext.BaseDirectory, "tests.db"));

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(AppContext.BaseDirectory, "server.sock")))|];
            }
        }
        """);

    // Deleting another member of the same options object is no delete of the socket's path.
    [Fact]
    public Task SetUpDeletesAnotherMemberOfTheSameOptions_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }
        class Options { public string Database = "/tmp/t.db"; public string Socket = "/tmp/t.sock"; }

        public class ServerTests
        {
            private readonly Options _options = new Options();

            [SetUp]
            public void Clean() => File.Delete(_options.Database);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(_options.Socket))|];
            }
        }
        """);

    // The set-up deletes the folder recursively; the test builds the path in a local first.
    [Fact]
    public Task SetUpDeletesFolder_PathThroughALocal_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string TempFolder = "/tmp/server-tests";

            [SetUp]
            public void Clean()
            {
                if (Directory.Exists(TempFolder)) Directory.Delete(TempFolder, true);
                Directory.CreateDirectory(TempFolder);
            }

            [Test]
            public void Binds()
            {
                var path = TempFolder + "/socket2";
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """);

    // The set-up deletes a sibling file in the same folder: the socket's file is still there.
    [Fact]
    public Task SetUpDeletesSiblingFile_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _dir = "/tmp/server-tests";

            [SetUp]
            public void Clean() => File.Delete(Path.Combine(_dir, "tests.db"));

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_dir, "server.sock")))|];
            }
        }
        """);

    // Named arguments in another order: still a recursive delete of the folder.
    [Fact]
    public Task RecursiveDeleteWithNamedArgumentsReordered_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                Directory.Delete(recursive: true, path: "/run/app");
                Directory.CreateDirectory("/run/app");
                socket.Bind(new UnixDomainSocketEndPoint("/run/app/control.sock"));
            }
        }
        """);

    // A local declared by a pattern, with a random fallback: the configured value is what is bound when there is one.
    [Fact]
    public Task PatternLocalWithRandomFallback_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, object configured)
            {
                if (configured is not string path)
                    path = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".sock");
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """);

    // An xUnit class whose tests use a FactAttribute subclass (dotnet/runtime's ConditionalFact).
    [Fact]
    public Task XunitClassWithDerivedFact_ConstructorDeletes_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;
        using Xunit;

        namespace Xunit { class FactAttribute : Attribute { } class ConditionalFactAttribute : FactAttribute { } }

        public class ServerTests
        {
            private readonly string _path = "/tmp/server-tests.sock";

            public ServerTests() => File.Delete(_path);

            [ConditionalFact]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(_path));
            }
        }
        """);

    // A random name with a suffix appended by += is still unique.
    [Fact]
    public Task RandomPathWithSuffixAppended_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                var path = Path.Combine(Path.GetTempPath(), Path.GetRandomFileName());
                path += ".sock";
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """);

    // sun_path holds 108 bytes: a random name is often shortened, and stays random.
    [Fact]
    public Task ShortenedRandomName_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket)
            {
                var name = Guid.NewGuid().ToString("N").Substring(0, 8);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), Path.ChangeExtension(name, "sock"))));
            }
        }
        """);

    [Fact]
    public Task TestWhoseSetUpDeletesTheSameBuiltPath_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _tmp = Path.GetTempPath();

            [SetUp]
            public void Clean()
            {
                if (File.Exists(Path.Combine(_tmp, "s.sock")))
                    File.Delete(Path.Combine(_tmp, "s.sock"));
            }

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_tmp, "s.sock")));
            }
        }
        """);

    // The set-up deletes a DirectoryInfo member recursively; the path is built in its FullName.
    [Fact]
    public Task SetUpDeletesDirectoryInfoMemberRecursively_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly DirectoryInfo _folder = new DirectoryInfo("/tmp/server-tests");

            [SetUp]
            public void Clean() => _folder.Delete(true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_folder.FullName, "s.sock")));
            }
        }
        """);

    // A DirectoryInfo's plain Delete fails on a folder that still holds the socket.
    [Fact]
    public Task SetUpDeletesDirectoryInfoMemberNotRecursively_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly DirectoryInfo _folder = new DirectoryInfo("/tmp/server-tests");

            [SetUp]
            public void Clean() => _folder.Delete();

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_folder.FullName, "s.sock")))|];
            }
        }
        """);

    // The set-up deletes the FileInfo member the test binds.
    [Fact]
    public Task SetUpDeletesFileInfoMember_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly FileInfo _socketFile = new FileInfo("/tmp/server-tests.sock");

            [SetUp]
            public void Clean() => _socketFile.Delete();

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(_socketFile.FullName));
            }
        }
        """);

    // Another FileInfo member's delete is no delete of the bound one.
    [Fact]
    public Task SetUpDeletesAnotherFileInfoMember_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly FileInfo _database = new FileInfo("/tmp/server-tests.db");
            private readonly FileInfo _socketFile = new FileInfo("/tmp/server-tests.sock");

            [SetUp]
            public void Clean() => _database.Delete();

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(_socketFile.FullName))|];
            }
        }
        """);

    // The set-up deletes, recursively, a folder built from the same parts the path starts with.
    [Fact]
    public Task SetUpDeletesFolderBuiltFromTheSameParts_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {

            [SetUp]
            public void Clean() => Directory.Delete(Path.Combine(Path.GetTempPath(), "server-tests"), true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), "server-tests", "s.sock")));
            }
        }
        """);

    // The folder member is Path.Combine's second part: the set-up deletes the folder built the same way.
    [Fact]
    public Task SetUpDeletesFolderWhoseMemberIsNotTheFirstPart_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _name = "server-tests";

            [SetUp]
            public void Clean() => Directory.Delete(Path.Combine(Path.GetTempPath(), _name), true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), _name, "a", "b", "s.sock")));
            }
        }
        """);

    // Deleting another folder under the same parent is no delete of the socket's folder.
    [Fact]
    public Task SetUpDeletesAnotherFolderUnderTheSameParent_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {

            [SetUp]
            public void Clean() => Directory.Delete(Path.Combine(Path.GetTempPath(), "other-tests"), true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), "server-tests", "s.sock")))|];
            }
        }
        """);

    // A rooted later part makes Path.Combine drop the deleted folder.
    [Fact]
    public Task SetUpDeletesFolder_PathWithARootedLaterPart_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _folder = "/tmp/server-tests";

            [SetUp]
            public void Clean() => Directory.Delete(_folder, true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_folder, "/run/s.sock")))|];
            }
        }
        """);

    // Root + "s.sock" is a sibling of Root, not a file in it.
    [Fact]
    public Task SetUpDeletesFolder_PathConcatenatedWithoutSeparator_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {

            [SetUp]
            public void Clean() => Directory.Delete(Path.GetTempPath() + "/server-tests", true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.GetTempPath() + "/server-tests" + ".sock"))|];
            }
        }
        """);

    // Concatenated with a separator, the path is in the deleted folder.
    [Fact]
    public Task SetUpDeletesFolder_PathConcatenatedWithSeparator_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {

            [SetUp]
            public void Clean() => Directory.Delete(Path.GetTempPath() + "/server-tests", true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.GetTempPath() + "/server-tests" + "/s.sock"));
            }
        }
        """);

    // The set-up deletes the same constant path the test binds.
    [Fact]
    public Task SetUpDeletesTheSameConstantPath_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {

            [SetUp]
            public void Clean() => File.Delete("/tmp/server-tests.sock");

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint("/tmp/server-tests.sock"));
            }
        }
        """);

    // A project helper called twice may give two paths (a counter here): the set-up's delete is not the bind's path.
    [Fact]
    public Task SetUpDeletesTheResultOfTheSameHelperCall_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private static int _next;
            private static string NextPath() => "/tmp/server-tests-" + (_next++) + ".sock";

            [SetUp]
            public void Clean() => File.Delete(NextPath());

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(NextPath()))|];
            }
        }
        """);

    // A '..' part leaves the deleted folder.
    [Fact]
    public Task SetUpDeletesFolder_PathWithAParentPart_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            [SetUp]
            public void Clean() => Directory.Delete(Path.Combine(Path.GetTempPath(), "server-tests"), true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), "server-tests", "..", "s.sock")))|];
            }
        }
        """);

    // A '/../' in a concatenation leaves the deleted folder too.
    [Fact]
    public Task SetUpDeletesFolder_ConcatenatedPathWithAParentPart_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            [SetUp]
            public void Clean() => Directory.Delete(Path.GetTempPath() + "/server-tests", true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.GetTempPath() + "/server-tests" + "/../s.sock"))|];
            }
        }
        """);

    // Root + ".sock" is beside the folder member, not in it.
    [Fact]
    public Task SetUpDeletesFolderMember_SiblingPath_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private const string Root = "/tmp/server-tests";

            [SetUp]
            public void Clean() => Directory.Delete(Root, true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Root + ".sock"))|];
            }
        }
        """);

    // The same beside a DirectoryInfo member.
    [Fact]
    public Task SetUpDeletesDirectoryInfoMember_SiblingPath_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly DirectoryInfo _folder = new DirectoryInfo("/tmp/server-tests");

            [SetUp]
            public void Clean() => _folder.Delete(true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(_folder.FullName + ".sock"))|];
            }
        }
        """);

    // The same, interpolated.
    [Fact]
    public Task SetUpDeletesFolderMember_InterpolatedSiblingPath_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _root = "/tmp/server-tests";

            [SetUp]
            public void Clean() => Directory.Delete(_root, true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint($"{_root}.sock"))|];
            }
        }
        """);

    // The test points the member elsewhere before it binds: the set-up deleted another folder.
    [Fact]
    public Task SetUpDeletesFolderMember_TheTestReassigns_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private DirectoryInfo _folder = new DirectoryInfo("/tmp/server-tests");

            [SetUp]
            public void Clean() => _folder.Delete(true);

            [Test]
            public void Binds()
            {
                _folder = new DirectoryInfo("/run/app");
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_folder.FullName, "s.sock")))|];
            }
        }
        """);

    // Path.Join keeps the folder before a part that starts with '/'.
    [Fact]
    public Task SetUpDeletesFolderMember_PathJoinedWithALeadingSeparator_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly string _folder = "/tmp/server-tests";

            [SetUp]
            public void Clean() => Directory.Delete(_folder, true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Join(_folder, "/s.sock")));
            }
        }
        """);

    // The deleted folder ends with '/': what follows it is inside.
    [Fact]
    public Task SetUpDeletesFolderWithATrailingSeparator_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            [SetUp]
            public void Clean() => Directory.Delete(Path.GetTempPath() + "server-tests/", true);

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.GetTempPath() + "server-tests/" + "s.sock"));
            }
        }
        """);

    // Another instance's FileInfo member is another file.
    [Fact]
    public Task SetUpDeletesAnotherInstancesFileInfoMember_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using System.Net.Sockets;

        class SetUpAttribute : Attribute { }
        class TestAttribute : Attribute { }

        public class ServerTests
        {
            private readonly FileInfo _socketFile = new FileInfo("/tmp/server-tests.sock");
            private static readonly ServerTests Other = new ServerTests();

            [SetUp]
            public void Clean() => Other._socketFile.Delete();

            [Test]
            public void Binds()
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                [|socket.Bind(new UnixDomainSocketEndPoint(_socketFile.FullName))|];
            }
        }
        """);
}
