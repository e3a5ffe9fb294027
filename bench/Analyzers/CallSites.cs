using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// How many call sites each rule starts from in a corpus: bound calls to the libc functions (or managed APIs) a rule
/// looks at first, through any surface (an extern or [LibraryImport] entry point, Tmds.Linux.LibC, Mono.Unix.Native
/// Syscall/Stdlib). The divisor of "ms per 1,000 call sites". The lists mirror the rules' own name filters
/// (docs/rules/*.md say which calls each rule reports); a call counts once per rule that looks at it.
/// </summary>
internal static class CallSites
{
    private static readonly string[] Fork = { "fork", "vfork", "forkpty" };
    private static readonly string[] Spawn = { "posix_spawn", "posix_spawnp" };
    private static readonly string[] Waits = { "wait", "waitpid", "wait3", "wait4", "waitid" };
    private static readonly string[] Signals = { "signal", "sigset", "bsd_signal", "sigaction" };
    private static readonly string[] Mmap = { "mmap", "mmap64" };

    public static ImmutableDictionary<string, string[]> ByRule { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["PSX1001"] = Fork,
        ["PSX1002"] = new[] { "vfork" },
        ["PSX1003"] = Fork,
        ["PSX1004"] = Fork.Concat(Spawn).ToArray(),
        ["PSX2001"] = Signals,
        ["PSX2002"] = Waits,
        ["PSX2003"] = Waits,
        ["PSX2004"] = Signals,
        ["PSX2005"] = Fork.Concat(Spawn).ToArray(),
        ["PSX2006"] = new[] { "Socket.Send", "Socket.SendTo", "Socket.Receive", "Socket.ReceiveFrom", "Socket.SendAsync", "Socket.ReceiveAsync" },
        ["PSX2007"] = new[] { "send", "sendto", "sendmsg", "sendmmsg" },
        ["PSX2008"] = Signals,
        ["PSX2009"] = Signals,
        ["PSX3001"] = Mmap.Concat(new[] { "mremap", "shmat" }).ToArray(),
        ["PSX3002"] = Mmap,
        ["PSX3005"] = Mmap,
        ["PSX3003"] = new[] { "munmap" },
        ["PSX3004"] = Mmap,
        ["PSX4001"] = new[] { "bind", "Socket.Bind" },
        ["PSX4002"] = new[] { "open", "open64", "openat", "openat64", "creat", "creat64", "pipe", "pipe2", "socket", "socketpair", "accept", "accept4", "dup", "epoll_create", "epoll_create1", "inotify_init", "inotify_init1", "eventfd", "memfd_create" },
        ["PSX4003"] = new[] { "write", "pwrite", "pwrite64", "writev", "pwritev", "send", "sendto", "sendmsg", "sendfile", "sendfile64", "splice", "read", "pread", "pread64", "readv", "preadv", "recv", "recvfrom", "recvmsg" },
        ["PSX4004"] = new[] { "poll", "ppoll", "epoll_wait", "epoll_pwait", "select", "pselect", "nanosleep", "msgrcv", "msgsnd", "semop", "semtimedop", "sigtimedwait", "sigwaitinfo" },
        ["PSX4005"] = new[] { "msgget", "semget", "shmget", "mkfifo", "mkfifoat", "shm_open", "mq_open" },
        ["PSX4006"] = new[] { "close" },
        ["PSX5001"] = new[] { "Marshal.GetLastPInvokeError", "Marshal.GetLastWin32Error", "Marshal.GetLastSystemError", "Stdlib.GetLastError" },
        ["PSX5002"] = new[] { "setuid", "setgid", "seteuid", "setegid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setsid", "setpgid", "chdir", "fchdir", "chroot", "dup2", "dup3", "bind", "listen", "pipe", "pipe2", "kill", "killpg" },
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>Call sites per rule ID in the compilation.</summary>
    public static ImmutableDictionary<string, int> Count(Compilation compilation)
    {
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var invocation in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetSymbolInfo(invocation).Symbol is IMethodSymbol method && Name(method) is { } name)
                {
                    byName[name] = byName.GetValueOrDefault(name) + 1;
                }
            }
        }

        return ByRule.ToImmutableDictionary(p => p.Key, p => p.Value.Sum(n => byName.GetValueOrDefault(n)), StringComparer.Ordinal);
    }

    /// <summary>The libc function a call reaches ("open"), or Type.Method for the managed APIs; null for anything else.</summary>
    private static string? Name(IMethodSymbol method)
    {
        var type = method.ContainingType?.ToDisplayString();
        if (method.IsExtern)
        {
            return method.GetDllImportData()?.EntryPointName ?? method.Name;
        }

        if (method.PartialDefinitionPart is not null || method.IsPartialDefinition)
        {
            var attribute = (method.PartialDefinitionPart ?? method).GetAttributes()
                .FirstOrDefault(a => a.AttributeClass?.Name == "LibraryImportAttribute");
            if (attribute is not null)
            {
                return attribute.NamedArguments.FirstOrDefault(a => a.Key == "EntryPoint").Value.Value as string ?? method.Name;
            }
        }

        return type switch
        {
            "Tmds.Linux.LibC" or "Mono.Unix.Native.Syscall" => method.Name,
            "Mono.Unix.Native.Stdlib" => method.Name == "GetLastError" ? "Stdlib.GetLastError" : method.Name,
            "System.Runtime.InteropServices.Marshal" or "System.Net.Sockets.Socket" => type[(type.LastIndexOf('.') + 1)..] + "." + method.Name,
            _ => null,
        };
    }
}
