using System;
using System.Diagnostics;
using System.IO;
using SafePosix;
using Xunit;

namespace SafePosix.Runtime.Tests;

public class SignalTests
{
    [Fact]
    public void DotnetIgnoresSigpipeInItsOwnProcess()
    {
        Assert.True(PosixSignals.IsIgnored(Signal.SIGPIPE));
        var disposition = PosixSignals.GetDisposition(Signal.SIGPIPE);
        Assert.False(disposition.IsDefault);
        Assert.Equal("SIGPIPE: ignored", disposition.ToString());
        Assert.Equal(disposition.IsIgnored, PosixSignals.GetDisposition(Environment.ProcessId, Signal.SIGPIPE).IsIgnored);
    }

    [Fact]
    public void RuntimeCatchesSomeSignalsAndLeavesOthersDefault()
    {
        // CoreCLR installs handlers for SIGSEGV (null reference detection) and SIGINT/SIGQUIT/SIGTERM; SIGUSR2 is untouched.
        Assert.True(PosixSignals.GetDisposition(Signal.SIGSEGV).IsCaught);
        Assert.True(PosixSignals.GetDisposition(Signal.SIGUSR2).IsDefault);
    }

    [Fact]
    public void OurChildStartsWithSigpipeAtDefaultAndNothingBlocked()
    {
        using var child = ChildProcess.Start("/bin/sleep", "30");
        try
        {
            // posix_spawn returns only after the exec (glibc uses CLONE_VFORK), so /proc shows sleep itself.
            var sigpipe = PosixSignals.GetDisposition(child.Id, Signal.SIGPIPE);
            Assert.True(sigpipe.IsDefault, sigpipe.ToString());
            Assert.False(sigpipe.IsBlocked);
            Assert.Equal("0000000000000000", StatusField(child.Id, "SigIgn"));
            Assert.Equal("0000000000000000", StatusField(child.Id, "SigBlk"));
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }

        // And ours is unchanged by spawning.
        Assert.True(PosixSignals.IsIgnored(Signal.SIGPIPE));
    }

    [Fact]
    public void ProcessStartChildInheritsIgnoredSigpipe()
    {
        // The .NET fact this library works around: Process.Start leaks SIG_IGN for SIGPIPE into the child.
        using var child = Process.Start(new ProcessStartInfo("/bin/sleep", "30"))!;
        try
        {
            Assert.True(PosixSignals.GetDisposition(child.Id, Signal.SIGPIPE).IsIgnored);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    [Fact]
    public void PipelineInOurChildEndsQuietly()
    {
        // With SIGPIPE at default, `yes` dies silently when `head` exits; with it ignored it reports EPIPE.
        var (status, stdout, stderr) = Proc.Run(new SpawnOptions("/bin/sh", "-c", "yes | head -n 2"));
        Assert.True(status.Succeeded);
        Assert.Equal("y\ny\n", stdout);
        Assert.Equal(string.Empty, stderr);

        var start = new ProcessStartInfo("/bin/sh", ["-c", "yes | head -n 2"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var dotnetChild = Process.Start(start)!;
        var dotnetStderr = dotnetChild.StandardError.ReadToEnd();
        dotnetChild.StandardOutput.ReadToEnd();
        dotnetChild.WaitForExit();
        Assert.Contains("Broken pipe", dotnetStderr, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownProcessIsEsrch()
    {
        var error = Assert.Throws<PosixException>(() => PosixSignals.GetDisposition(int.MaxValue, Signal.SIGPIPE));
        Assert.Equal("ESRCH", error.ErrorName);
    }

    private static string StatusField(int pid, string name)
    {
        foreach (var line in File.ReadAllLines("/proc/" + pid + "/status"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }

        throw new InvalidOperationException(name + " missing");
    }
}

public class CoexistenceTests
{
    [Fact]
    public void InterleavedWithProcessStartEveryStatusIsRight()
    {
        for (var round = 0; round < 20; round++)
        {
            using var dotnetChild = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.0" + (round % 3) + "; exit " + (10 + round)]))!;
            using var ours = ChildProcess.Start("/bin/sh", "-c", "sleep 0.0" + ((round + 1) % 3) + "; exit " + (100 + round));

            // Alternate who waits first, so both orders of reaping are exercised.
            if (round % 2 == 0)
            {
                Assert.Equal(ExitStatus.Exited(100 + round), ours.WaitForExit());
                Assert.True(dotnetChild.WaitForExit(30_000));
            }
            else
            {
                Assert.True(dotnetChild.WaitForExit(30_000));
                Assert.Equal(ExitStatus.Exited(100 + round), ours.WaitForExit());
            }

            Assert.Equal(10 + round, dotnetChild.ExitCode);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task ConcurrentAsyncWaitsOfBothKinds()
    {
        var ours = new ChildProcess[10];
        var theirs = new Process[10];
        for (var i = 0; i < 10; i++)
        {
            theirs[i] = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.1; exit " + (20 + i)]))!;
            ours[i] = ChildProcess.Start("/bin/sh", "-c", "sleep 0.1; exit " + (60 + i));
        }

        for (var i = 0; i < 10; i++)
        {
            var waitOurs = ours[i].WaitForExitAsync();
            await theirs[i].WaitForExitAsync();
            Assert.Equal(20 + i, theirs[i].ExitCode);
            Assert.Equal(ExitStatus.Exited(60 + i), await waitOurs);
            theirs[i].Dispose();
            ours[i].Dispose();
        }
    }
}
