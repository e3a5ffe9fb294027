using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// Every libc function (and binding helper) any rule starts from or looks for. <see cref="NativeReach"/> compares a
/// compilation's P/Invoke declarations with it once, before any rule registers an action: a compilation that can call
/// none of these functions gets no per-operation callback at all. A test forces every name set built with
/// <see cref="PosixSurfaces.Functions"/> and fails when one holds a name missing here, because a missing name would
/// switch the rules off for a project that calls only that function.
/// </summary>
internal static class MatchedFunctions
{
    public static ImmutableHashSet<string> All { get; } = ImmutableHashSet.Create(
        StringComparer.Ordinal,
        "_Exit", "_exit", "abort", "accept", "accept4", "bind", "bsd_signal", "chdir", "chroot", "clone", "close",
        "creat", "creat64", "daemon", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_pwait",
        "epoll_wait", "eventfd", "execl", "execle", "execlp", "execv", "execve", "execveat", "execvp", "execvpe",
        "exit", "fchdir", "fcntl", "fdatasync", "fexecve", "flock", "fork", "forkpty", "fsync", "inotify_init",
        "inotify_init1", "kill", "killpg", "listen", "lockf", "memfd_create", "mkfifo", "mkfifoat", "mmap", "mmap64",
        "mq_open", "mremap", "msgget", "msgrcv", "msgsnd", "munmap", "nanosleep", "open", "open64", "openat",
        "openat64", "pause", "pipe", "pipe2", "poll", "posix_spawn", "posix_spawnp", "ppoll", "pread", "pread64",
        "preadv", "pselect", "pwrite", "pwrite64", "pwritev", "read", "readv", "recv", "recvfrom", "recvmsg",
        "remove", "select", "semget", "semop", "semtimedop", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
        "sendto", "setegid", "seteuid", "setgid", "setgroups", "setpgid", "setregid", "setresgid", "setresuid",
        "setreuid", "setsid", "SetSignalAction", "setuid", "shm_open", "shmat", "shmget", "sigaction", "sigignore",
        "signal", "signalfd", "sigset", "sigsuspend", "sigtimedwait", "sigwait", "sigwaitinfo", "socket",
        "socketpair", "splice", "unlink", "unlinkat", "vfork", "wait", "wait3", "wait4", "waitid", "waitpid",
        "WCOREDUMP", "WEXITSTATUS", "WIFCONTINUED", "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED", "write", "writev",
        "WSTOPSIG", "WTERMSIG");

    /// <summary>Each name's number, in ordinal order: a <see cref="FunctionSet"/> holds a flag per number.</summary>
    private static readonly Dictionary<string, int> Ids = All
        .OrderBy(name => name, StringComparer.Ordinal)
        .Select((name, index) => (name, index))
        .ToDictionary(pair => pair.name, pair => pair.index, StringComparer.Ordinal);

    /// <summary>How many numbers <see cref="IdOf"/> hands out.</summary>
    public static int Count => Ids.Count;

    /// <summary>The function's number, or -1 for a function no rule matches.</summary>
    public static int IdOf(string function) => Ids.TryGetValue(function, out var id) ? id : -1;
}
