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

    public struct mode_t : IEquatable<mode_t>
    {
        private ushort _value;
        public static implicit operator mode_t(ushort arg) => new mode_t { _value = arg };
        public static explicit operator ushort(mode_t arg) => arg._value;
        public static mode_t operator ~(mode_t v) => new mode_t { _value = (ushort)~v._value };
        public static mode_t operator &(mode_t v1, mode_t v2) => new mode_t { _value = (ushort)(v1._value & v2._value) };
        public static mode_t operator |(mode_t v1, mode_t v2) => new mode_t { _value = (ushort)(v1._value | v2._value) };
        public static bool operator ==(mode_t v1, mode_t v2) => v1._value == v2._value;
        public static bool operator !=(mode_t v1, mode_t v2) => v1._value != v2._value;
        public bool Equals(mode_t v) => _value == v._value;
        public override bool Equals(object obj) => obj is mode_t v && Equals(v);
        public override int GetHashCode() => _value;
        public override string ToString() => _value.ToString();
    }

    public struct socklen_t
    {
        private uint _value;
        public static implicit operator uint(socklen_t v) => v._value;
        public static implicit operator socklen_t(uint v) => new socklen_t { _value = v };
        public static implicit operator socklen_t(int v) => new socklen_t { _value = (uint)v };
        public static explicit operator int(socklen_t v) => (int)v._value;
    }

    public struct sa_family_t : IEquatable<sa_family_t>
    {
        private ushort _value;
        public static implicit operator int(sa_family_t arg) => arg._value;
        public static implicit operator sa_family_t(int arg) => new sa_family_t { _value = (ushort)arg };
        public static bool operator ==(sa_family_t v1, sa_family_t v2) => v1._value == v2._value;
        public static bool operator !=(sa_family_t v1, sa_family_t v2) => v1._value != v2._value;
        public bool Equals(sa_family_t v) => _value == v._value;
        public override bool Equals(object obj) => obj is sa_family_t v && Equals(v);
        public override int GetHashCode() => _value;
    }

    public struct epoll_event
    {
        public uint events;
        public ulong data;
    }

    public unsafe struct sockaddr_un
    {
        public sa_family_t sun_family;
        public fixed byte sun_path[108];
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
        public static sa_family_t AF_UNIX => 1;
        public static sa_family_t AF_LOCAL => 1;
        public static int SOCK_NONBLOCK => 0x800;
        public static int F_DUPFD_CLOEXEC => 1030;
        public static int EPOLL_CLOEXEC => 0x80000;
        public static int EFD_CLOEXEC => 0x80000;
        public static uint MFD_CLOEXEC => 1;
        public static int O_TRUNC => 0x200;
        public static int O_NONBLOCK => 0x800;
        public static int SOCK_STREAM => 1;
        public static int MSG_NOSIGNAL => 0x4000;
        public static int SIGKILL => 9;
        public static int SIGPIPE => 13;
        public static int SIGTERM => 15;
        public static int SIGCHLD => 17;
        public static int SA_NOCLDWAIT => 2;
        public static int EINTR => 4;
        public static mode_t S_IRWXU => 0x1C0;
        public static mode_t S_IRUSR => 0x100;
        public static mode_t S_IWUSR => 0x80;
        public static mode_t S_IXUSR => 0x40;
        public static mode_t S_IRWXG => 0x38;
        public static mode_t S_IRGRP => 0x20;
        public static mode_t S_IWGRP => 0x10;
        public static mode_t S_IXGRP => 0x8;
        public static mode_t S_IRWXO => 0x7;
        public static mode_t S_IROTH => 0x4;
        public static mode_t S_IWOTH => 0x2;
        public static mode_t S_IXOTH => 0x1;
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
        public static extern int openat(int dirfd, byte* pathname, int flags, mode_t mode);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int creat(byte* pathname, mode_t mode);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int socketpair(int domain, int type, int protocol, int* sv);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int accept(int socket, sockaddr* address, socklen_t* address_len);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int accept4(int socket, sockaddr* address, socklen_t* address_len, int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int connect(int socket, sockaddr* address, socklen_t address_len);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int listen(int socket, int backlog);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int dup(int oldfd);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int fcntl(int fd, int cmd);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int fcntl(int fd, int cmd, int arg);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int fcntl(int fd, int cmd, void* arg);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int epoll_create(int size);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int epoll_create1(int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int eventfd(uint initval, int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int memfd_create(byte* name, uint flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern ssize_t read(int fd, void* buf, size_t count);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern ssize_t recv(int socket, void* buf, size_t len, int flags);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int mkfifo(byte* path, mode_t mode);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern pid_t setsid();

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int daemon(int nochdir, int noclose);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern int kill(pid_t pid, int sig);

        [DllImport("libc.so.6", SetLastError = true)]
        public static extern long_t sysconf(int name);

        [DllImport("libc.so.6")]
        public static extern int getpagesize();

        [DllImport("libc.so.6")]
        public static extern pid_t getpid();
    }
}
