using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.StaleUnixSocketPathAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class StaleUnixSocketPathFixerTests
{
    [Fact]
    public Task ManagedBind_DeletesThePathFirst_AndImportsSystemIO() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                socket.Listen();
            }
        }
        """, """
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                socket.Listen();
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task MonoBind_WithFieldPath_DeletesIt() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System.IO;
        using Mono.Unix.Native;

        class Server
        {
            private readonly string _path = "/run/app.sock";

            int Listen(int fd)
            {
                var address = new SockaddrUn(_path);
                return [|Syscall.bind(fd, address)|];
            }
        }
        """, """
        using System.IO;
        using Mono.Unix.Native;

        class Server
        {
            private readonly string _path = "/run/app.sock";

            int Listen(int fd)
            {
                var address = new SockaddrUn(_path);
                File.Delete(_path);
                return Syscall.bind(fd, address);
            }
        }
        """);

    [Fact]
    public Task PathFromACall_HasNoFix() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket) => [|socket.Bind(new UnixDomainSocketEndPoint(System.IO.Path.GetTempFileName()))|];
        }
        """, """
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket) => [|socket.Bind(new UnixDomainSocketEndPoint(System.IO.Path.GetTempFileName()))|];
        }
        """);

    [Fact]
    public Task TmdsRawBind_HasNoFix() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Server
        {
            void Listen(int fd)
            {
                sockaddr_un address = default;
                address.sun_family = AF_UNIX;
                [|bind(fd, (sockaddr*)&address, 110)|];
            }
        }
        """, """
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Server
        {
            void Listen(int fd)
            {
                sockaddr_un address = default;
                address.sun_family = AF_UNIX;
                [|bind(fd, (sockaddr*)&address, 110)|];
            }
        }
        """);

    [Fact]
    public Task FixAll_ThreeBindsInOneDocument_EachGetsItsDelete_AndOneUsing() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System.Net.Sockets;

        class Server
        {
            void Control(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }

            void Events(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }

            void Either(Socket socket, string path, int kind)
            {
                switch (kind)
                {
                    case 1:
                        [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                        break;
                }
            }
        }
        """, """
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Control(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }

            void Events(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }

            void Either(Socket socket, string path, int kind)
            {
                switch (kind)
                {
                    case 1:
                        File.Delete(path);
                        socket.Bind(new UnixDomainSocketEndPoint(path));
                        break;
                }
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);
}
