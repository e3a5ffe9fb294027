using System;
using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Showcase;

/// <summary>
/// PSX1001, PSX1003, PSX1004: starting processes by forking the runtime. Each method is a mistake seen in real
/// projects; none is called, because running them can crash this process. PSX1002 (work in a vfork child) is an
/// error by default, so it is not shown here: the sample must build. See docs/rules/PSX1002.md.
/// </summary>
internal static unsafe class ProcessCreation
{
    [DllImport("libc", EntryPoint = "fork", SetLastError = true)]
    private static extern int Fork();

    [DllImport("libc", SetLastError = true)]
    private static extern int execv(string path, string?[] argv);

    [DllImport("libc", SetLastError = true)]
    private static extern int execvp(string file, string?[] argv);

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    [DllImport("libc")]
    private static extern void _exit(int status);

    [DllImport("util", SetLastError = true)]
    private static extern int forkpty(out int master, IntPtr name, IntPtr termp, IntPtr winp);

    // PSX1001 with a fix: the canonical fork + exec + wait, which Process.Start does without forking the runtime.
    public static void ListDirectory()
    {
        int pid = Fork();
        if (pid == 0)
        {
            execv("/bin/ls", new[] { "ls", "-l", null });
            _exit(127);
        }

        waitpid(pid, out _, 0);
    }

    // PSX1001 (the child marshals strings), PSX1003 (a failed exec returns 0: a second copy of the program goes on),
    // PSX1004 (the pid is only logged, never waited for).
    public static int StartWorker(string program)
    {
        var pid = Fork();
        if (pid == 0)
        {
            execv(program, new[] { program, "--worker", null });
            return 0;
        }

        Console.WriteLine($"worker started as {pid}");
        return 1;
    }

    // PSX1001: a forkpty child that runs managed code (vs-pty.net#32); the pid is returned, so no PSX1004.
    public static int OpenTerminal(string directory, string shell, out int master)
    {
        var pid = forkpty(out master, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
        if (pid == 0)
        {
            Environment.CurrentDirectory = directory;
            execvp(shell, new[] { shell, "-l", null });
            _exit(127);
        }

        return pid;
    }

    // PSX1001 and PSX1003: Tmds.LibC, and a child that leaves through Environment.Exit after a failed exec.
    public static void Run(byte* path, byte** argv, byte** envp)
    {
        pid_t pid = fork();
        if (pid == 0)
        {
            execve(path, argv, envp);
            Environment.Exit(127);
        }

        waitpid(pid, out _, 0);
    }

    // PSX1004: the child is killed on timeout, and nothing waits for it on that path.
    public static int RunWithTimeout(byte* path, byte** argv, bool timedOut)
    {
        pid_t pid = fork();
        if (pid == 0)
        {
            execve(path, argv, null);
            _exit(127);
        }

        if (timedOut)
        {
            kill(pid, SIGKILL);
            return -1;
        }

        waitpid(pid, out var status, 0);
        return status;
    }

    // PSX1001: daemon() keeps running the whole program in a child with one thread.
    public static void Detach() => daemon(0, 0);
}
