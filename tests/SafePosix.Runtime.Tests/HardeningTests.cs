using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SafePosix;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests;

/// <summary>The defects found by trying to break the process API (issue 11), each reproduced for real.</summary>
public class HardeningTests(ITestOutputHelper output)
{
    [Fact]
    public void KillOfAPidOnlyChildNeverHitsTheProcessThatReusedItsPid()
    {
        var results = ProbeRunner.Run(output, TimeSpan.FromSeconds(60), asPidOne: true, "pid-reuse");
        if (results is null)
        {
            return;
        }

        Assert.Equal("True", results["reused"]);
        Assert.Equal("True", results["victimAlive"]);
        Assert.Equal("InvalidOperationException", results["kill"]);
    }

    [Fact]
    public void APidfdRefusedWithEmfileIsOpenedOnceDescriptorsAreFree()
    {
        var results = ProbeRunner.Run(output, TimeSpan.FromSeconds(60), asPidOne: false, "pidfd-retry")!;
        Assert.Equal("False", results["pidfdAtStart"]);
        Assert.Equal("True", results["pidfdAfterRetry"]);
        Assert.Equal("killed:SIGTERM", results["status"]);
    }

    [Fact]
    public void AsyncWaitsBeyondTheDescriptorLimitAllComplete()
    {
        var results = ProbeRunner.Run(output, TimeSpan.FromSeconds(60), asPidOne: false, "poller-limit")!;
        Assert.Equal("300", results["completed"]);
    }

    [Fact]
    public async Task WaitForExitRacingDisposeNeverThrows()
    {
        // The window is between the waiter's non-blocking reap check and its poll: the child must exit and Dispose
        // must reap it and close the pidfd right there. Sweep the moment both sides start across the child's
        // lifetime (about a millisecond for /bin/true) so that some iterations land in it.
        var failures = new List<Exception>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; watch.Elapsed < TimeSpan.FromSeconds(4); i++)
        {
            var child = ChildProcess.Start("/bin/true");
            var started = Stopwatch.GetTimestamp();
            var offset = TimeSpan.FromMicroseconds((i * 37) % 1500);
            using var go = new ManualResetEventSlim();
            var waiter = Task.Factory.StartNew(
                () =>
                {
                    go.Wait();
                    while (Stopwatch.GetElapsedTime(started) < offset)
                    {
                    }

                    return child.WaitForExit();
                },
                TaskCreationOptions.LongRunning);
            go.Set();
            while (Stopwatch.GetElapsedTime(started) < offset + TimeSpan.FromMicroseconds(i % 7))
            {
            }

            child.Dispose();
            try
            {
                Assert.Equal(ExitStatus.Exited(0), await waiter);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                failures.Add(e);
            }
        }

        Assert.True(failures.Count == 0, failures.Count + " waits failed, first: " + failures.FirstOrDefault());
    }

    [Fact]
    public async Task WaitingForAStopOfAChildThatExitsReturns()
    {
        using var child = ChildProcess.Start("/bin/sh", "-c", "exit 5");
        var wait = Task.Factory.StartNew(
            () => (child.TryWaitForStateChange(ChildStateChanges.Stopped, Timeout.InfiniteTimeSpan, out var status), status),
            TaskCreationOptions.LongRunning);
        Assert.Same(wait, await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(20))));
        var (changed, seen) = await wait;
        Assert.False(changed, "TryWaitForStateChange(Stopped) reported a change for a child that only exited");
        Assert.Equal(ExitStatus.Exited(5), seen);

        // The exit was only looked at, not consumed: the real wait still gets it.
        Assert.Equal(ExitStatus.Exited(5), child.WaitForExit());
    }

    [Fact]
    public void ProgramIsSearchedInThePathTheChildGets()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var script = Path.Combine(directory, "echo");
            File.WriteAllText(script, "#!/bin/sh\nprintf shadow\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var environment = SpawnOptions.CurrentEnvironment();
            environment["PATH"] = directory;
            var (status, stdout, _) = Proc.Run(new SpawnOptions("echo", "real") { Environment = environment });
            Assert.True(status.Succeeded, status.ToString());
            Assert.Equal("shadow", stdout);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ProgramIsSearchedInAPathSetAfterStartUp()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var script = Path.Combine(directory, "echo");
            File.WriteAllText(script, "#!/bin/sh\nprintf shadow\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            // posix_spawnp would search the PATH the probe started with and run /bin/echo.
            var results = ProbeRunner.Run(output, TimeSpan.FromSeconds(60), asPidOne: false, "path-set-later", extraArgument: directory)!;
            Assert.Equal("shadow", results["output"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void InheritedNonUtf8EnvironmentReachesTheChildByteForByte()
    {
        // The probe starts with SAFEPOSIX_BYTES = FF FE (not UTF-8); .NET sees U+FFFD U+FFFD.
        var results = ProbeRunner.Run(
            output,
            TimeSpan.FromSeconds(60),
            asPidOne: false,
            "env-bytes",
            shellPrefix: "SAFEPOSIX_BYTES=$(printf '\\377\\376') exec")!;
        Assert.Equal("ff fe", results["inherited"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void UnencodableArgumentIsRejectedNotReplaced(int which)
    {
        // Built here: xunit would turn a lone surrogate in InlineData into U+FFFD on its way to the test.
        var argument = which == 0 ? ((char)0xD800).ToString() : "a" + (char)0xDC00 + "b";
        var late = new SpawnOptions("/bin/echo");
        late.Arguments.Add(argument);
        var error = Assert.Throws<ArgumentException>(() => ChildProcess.Start(late));
        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true")
        {
            Environment = new Dictionary<string, string> { ["V"] = argument },
        }));
    }

    [Fact]
    public void MissingWorkingDirectoryIsNamedInTheError()
    {
        var options = new SpawnOptions("/bin/true") { WorkingDirectory = "/nonexistent/safeposix-dir" };
        var error = Assert.Throws<PosixException>(() => ChildProcess.Start(options));
        Assert.Equal("ENOENT", error.ErrorName);
        Assert.Contains("/nonexistent/safeposix-dir", error.Message, StringComparison.Ordinal);
        Assert.Contains("working directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SignaledChildHasExitCode128PlusSignalLikeProcess()
    {
        using var ours = ChildProcess.Start("/bin/sleep", "30");
        ours.Kill(Signal.SIGTERM);
        var status = ours.WaitForExit();

        using var theirs = Process.Start("/bin/sleep", "30");
        theirs.Kill();
        theirs.WaitForExit();

        Assert.Equal(ExitStatusKind.Signaled, status.Kind);
        Assert.Equal(128 + 15, status.ExitCode);
        Assert.Equal(128 + 9, theirs.ExitCode);
        Assert.False(status.Succeeded);
    }
}

/// <summary>Runs the probe program (optionally as pid 1 of a new pid namespace) and parses its key=value lines.</summary>
internal static class ProbeRunner
{
    internal static Dictionary<string, string>? Run(ITestOutputHelper output, TimeSpan timeout, bool asPidOne, string scenario, string? shellPrefix = null, string? extraArgument = null)
    {
        const string unshare = "/usr/bin/unshare";
        SpawnOptions options;
        if (shellPrefix is not null)
        {
            options = new SpawnOptions("/bin/sh", "-c", shellPrefix + " \"$0\" \"$1\" \"$2\"", Proc.DotnetHost, Proc.ProbePath, scenario);
        }
        else if (asPidOne)
        {
            if (!File.Exists(unshare))
            {
                output.WriteLine("NOT RUN: util-linux unshare is not installed at " + unshare);
                return null;
            }

            options = new SpawnOptions(unshare, "--pid", "--fork", "--mount-proc", Proc.DotnetHost, Proc.ProbePath, scenario);
        }
        else
        {
            options = new SpawnOptions(Proc.DotnetHost, Proc.ProbePath, scenario);
        }

        if (extraArgument is not null)
        {
            options.Arguments.Add(extraArgument);
        }

        var (status, stdout, stderr) = Proc.Run(options, timeout);
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        if (asPidOne && !status.Succeeded && stderr.StartsWith("unshare:", StringComparison.Ordinal))
        {
            output.WriteLine("NOT RUN: " + stderr.Trim());
            return null;
        }

        Assert.True(status.Succeeded, status + "\n" + stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Contains('=', StringComparison.Ordinal))
            .Select(line => line.Split('=', 2))
            .GroupBy(parts => parts[0])
            .ToDictionary(group => group.Key, group => group.Last()[1]);
    }
}
