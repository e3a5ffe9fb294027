// The API shape of Tmds.LibC 0.5.0 (namespace Tmds.Linux), written from its published signatures because the
// package is not served here. Only the shape matters to the analyzers: constants are static get-only properties,
// functions are DllImport externs on a static partial class, and the typedefs are structs with the package's
// implicit conversions.
#nullable disable
#pragma warning disable CS1591, CA1707, CA1401, CA2101, CA1069, CA1051, CA1815, CA2225, CA1034, IDE1006, SYSLIB1054, CS8981
using System;
using System.Runtime.InteropServices;

namespace Tmds.Linux
{
    public struct pid_t
    {
        private int _value;
        public static implicit operator int(pid_t v) => v._value;
        public static implicit operator pid_t(int v) => new pid_t { _value = v };
        public override string ToString() => _value.ToString();
    }

    public struct size_t
    {
        private ulong _value;
        public static implicit operator ulong(size_t v) => v._value;
        public static implicit operator size_t(ulong v) => new size_t { _value = v };
        public static implicit operator size_t(int v) => new size_t { _value = (ulong)v };
        public static explicit operator int(size_t v) => (int)v._value;
    }

    public struct ssize_t
    {
        private long _value;
        public static implicit operator long(ssize_t v) => v._value;
        public static implicit operator ssize_t(long v) => new ssize_t { _value = v };
        public static explicit operator int(ssize_t v) => (int)v._value;
    }

    public struct off_t
    {
        private long _value;
        public static implicit operator long(off_t v) => v._value;
        public static implicit operator off_t(long v) => new off_t { _value = v };
    }

    public struct long_t
    {
        private long _value;
        public static implicit operator long(long_t v) => v._value;
        public static implicit operator long_t(long v) => new long_t { _value = v };
    }

    public struct mode_t
    {
        private uint _value;
        public static implicit operator uint(mode_t v) => v._value;
        public static implicit operator mode_t(uint v) => new mode_t { _value = v };
    }

    public struct socklen_t
    {
        private uint _value;
        public static implicit operator uint(socklen_t v) => v._value;
        public static implicit operator socklen_t(uint v) => new socklen_t { _value = v };
    }

    public struct sa_family_t
    {
        private ushort _value;
        public static implicit operator ushort(sa_family_t v) => v._value;
        public static implicit operator sa_family_t(ushort v) => new sa_family_t { _value = v };
    }

    public struct sockaddr
    {
        public sa_family_t sa_family;
    }

    public unsafe struct sigaction
    {
        public void* sa_handler;
        public ulong sa_mask;
        public int sa_flags;
        public void* sa_restorer;
    }

    public static unsafe partial class LibC
    {
        public static void* MAP_FAILED => (void*)-1;
        public static void* SIG_DFL => (void*)0;
        public static void* SIG_IGN => (void*)1;
        public static void* SIG_ERR => (void*)-1;
        public static int PROT_NONE => 0;
        public static int PROT_READ => 1;
        public static int PROT_WRITE => 2;
        public static int PROT_EXEC => 4;
        public static int MAP_SHARED => 0x01;
        public static int MAP_PRIVATE => 0x02;
        public static int MAP_FIXED => 0x10;
        public static int MAP_ANONYMOUS => 0x20;
        public static int O_RDONLY => 0;
        public static int O_WRONLY => 1;
        public static int O_RDWR => 2;
        public static int O_CREAT => 0x40;
        public static int O_CLOEXEC => 0x80000;
        public static int SOCK_CLOEXEC => 0x80000;
        public static int AF_UNIX => 1;
        public static int SOCK_STREAM => 1;
        public static int MSG_DONTWAIT => 0x40;
        public static int MSG_NOSIGNAL => 0x4000;
        public static int SIGKILL => 9;
        public static int SIGPIPE => 13;
        public static int SIGTERM => 15;
        public static int SIGCHLD => 17;
        public static int SA_NOCLDWAIT => 2;
        public static int EINTR => 4;
        public static int errno => Marshal.GetLastWin32Error();

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern pid_t fork();

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern pid_t vfork();

        [DllImport("libc.so.6")]
        public static extern void _exit(int status);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int execve(byte* path, byte** argv, byte** envp);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern void* mremap(void* old_address, size_t old_size, size_t new_size, int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int munmap(void* addr, size_t length);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern void* shmat(int shmid, void* shmaddr, int shmflg);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int sigaction(int signum, sigaction* act, sigaction* oldact);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern ssize_t write(int fd, void* buf, size_t count);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern ssize_t send(int sockfd, void* buf, size_t len, int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int pipe(int* pipefd);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int pipe2(int* pipefd, int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int socket(int domain, int type, int protocol);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int bind(int sockfd, sockaddr* addr, socklen_t addrlen);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int unlink(byte* pathname);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int open(byte* pathname, int flags, mode_t mode);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern pid_t setsid();

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int daemon(int nochdir, int noclose);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int kill(pid_t pid, int sig);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int sigignore(int sig);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern long_t sysconf(int name);

        [DllImport("libc.so.6")]
        public static extern int getpagesize();

        [DllImport("libc.so.6")]
        public static extern pid_t getpid();
    }
}
