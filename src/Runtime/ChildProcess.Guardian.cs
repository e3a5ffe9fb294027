using System;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>Kill-on-parent-exit: a guardian process that kills the child's process group when we die.</summary>
public sealed partial class ChildProcess
{
    /// <summary>
    /// The guardian: a shell (no code of ours) that leads a new process group, ignores the terminal's signals and
    /// reads one line from a pipe whose only write end is held by this process (close-on-exec, so no other child
    /// holds it). When this process dies in any way, SIGKILL included, the kernel closes the write end, the read
    /// ends without "done", and the guardian kills its whole group: the child and anything it started that stayed
    /// in the group. When the child ends normally we write "done" and the guardian exits quietly.
    /// </summary>
    private const string GuardianScript = "trap '' HUP INT QUIT TERM TSTP TTIN TTOU; read -r line; [ \"$line\" = done ] || kill -KILL 0";

    /// <summary>
    /// Guarded children stay reachable until they end: otherwise a ChildProcess dropped without Dispose would be
    /// finalized, its pipe end closed, and the guardian would kill a child whose parent is alive.
    /// </summary>
    private static readonly System.Collections.Generic.HashSet<ChildProcess> Guarded = new();

    private ChildProcess? _guardian;
    private SafeFileDescriptor? _guardianRelease;

    private static ChildProcess StartGuarded(SpawnOptions options)
    {
        if (options.NewSession || options.Terminal is not null || options.ProcessGroup is not null)
        {
            throw new ArgumentException(
                "KillOnParentExit puts the child in the process group of its guardian; it cannot be combined with NewSession, Terminal or ProcessGroup.",
                nameof(options));
        }

        SafeFileDescriptor.CreatePipe(out var readEnd, out var writeEnd);
        ChildProcess guardian;
        try
        {
            using (readEnd)
            {
                guardian = Start(new SpawnOptions("/bin/sh", "-c", GuardianScript)
                {
                    StandardInput = ChildStdio.From(readEnd),
                    StandardOutput = ChildStdio.Null,
                    StandardError = ChildStdio.Null,
                    ProcessGroup = 0,
                    Environment = new System.Collections.Generic.Dictionary<string, string> { ["PATH"] = "/bin:/usr/bin" },
                });
            }
        }
        catch
        {
            writeEnd.Dispose();
            throw;
        }

        ChildProcess child;
        try
        {
            var joined = options.Clone();
            joined.KillOnParentExit = false;
            joined.ProcessGroup = guardian.Id;
            child = Start(joined);
        }
        catch
        {
            // EOF: the guardian kills its group, which is only itself.
            writeEnd.Dispose();
            guardian.Dispose();
            throw;
        }

        lock (Guarded)
        {
            Guarded.Add(child);
        }

        lock (child._reapGate)
        {
            child._guardian = guardian;
            child._guardianRelease = writeEnd;
            child.ProcessGroupId = guardian.Id;
            if (child._finalStatus is not null)
            {
                child.ReleaseGuardian();
            }
        }

        return child;
    }

    /// <summary>Records the final status and lets the guardian go. Call with <see cref="_reapGate"/> held.</summary>
    private void SetFinal(ExitStatus status)
    {
        _finalStatus = status;
        ReleaseGuardian();
    }

    private unsafe void ReleaseGuardian()
    {
        if (_guardianRelease is not { } release)
        {
            return;
        }

        _guardianRelease = null;
        var done = "done\n"u8;
        fixed (byte* bytes = done)
        {
            // Five bytes into an empty pipe never block or split; if it fails the guardian sees EOF and kills a
            // group whose leader-child has already ended, which only touches what the child left behind.
            Libc.write(release.DangerousGetDescriptor(), bytes, done.Length);
        }

        release.Dispose();
        _guardian?.Dispose();
        lock (Guarded)
        {
            Guarded.Remove(this);
        }
    }
}
