using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using SafePosix;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests;

/// <summary>Scenarios that need a whole process: pid 1 of a new pid namespace, and a daemon that relaunches itself.</summary>
public class ProcessTreeTests(ITestOutputHelper output)
{
    [Fact]
    public void AsPidOneStatusesAreTrueOrHonestlyUnknown()
    {
        const string unshare = "/usr/bin/unshare";
        if (!File.Exists(unshare))
        {
            output.WriteLine("NOT RUN: util-linux unshare is not installed at " + unshare);
            return;
        }

        var (status, stdout, stderr) = Proc.Run(
            new SpawnOptions(unshare, "--pid", "--fork", "--mount-proc", Proc.DotnetHost, Proc.ProbePath, "pid1"),
            TimeSpan.FromSeconds(90));
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        if (!status.Succeeded && stderr.StartsWith("unshare:", StringComparison.Ordinal))
        {
            // unshare itself refused (no CAP_SYS_ADMIN, user namespaces disabled): the scenario cannot be set up here.
            output.WriteLine("NOT RUN: " + stderr.Trim());
            return;
        }

        Assert.True(status.Succeeded, status + "\n" + stderr);
        var results = Parse(stdout);
        Assert.Equal("1", results["pid"]);

        // Before any SIGCHLD handler exists nobody else reaps, so the true status must come back.
        Assert.Equal("exited:7", results["before"]);
        Assert.Equal("9", results["process"]);

        // After Process.Start the runtime's SIGCHLD handler, running as pid 1, reaps every child, ours included.
        // Whoever wins the race, the answer is the truth or Unknown, never another number.
        Assert.Contains(results["after"], new[] { "exited:5", "Unknown" });
        Assert.Contains(results["afterAsync"], new[] { "exited:6", "Unknown" });

        // Left unwaited, the child is reaped by the runtime (observed with .NET 10 as pid 1): then the only honest
        // answer is Unknown.
        Assert.Equal("True", results["reapedByRuntime"]);
        Assert.Equal("Unknown", results["unwaited"]);
    }

    [Fact]
    public void WithSigchldIgnoredEveryWaitSaysUnknown()
    {
        var (status, stdout, stderr) = Proc.Run(new SpawnOptions(Proc.DotnetHost, Proc.ProbePath, "sigchld-ignored"), TimeSpan.FromSeconds(60));
        output.WriteLine(stdout + stderr);
        Assert.True(status.Succeeded, status + "\n" + stderr);
        var results = Parse(stdout);
        Assert.Equal("Unknown", results["sync"]);
        Assert.Equal("Unknown", results["async"]);
        Assert.Equal("Unknown", results["killed"]);
    }

    [Fact]
    public void ASharedPollerThatCouldNotBeCreatedIsCreatedOnTheNextWait()
    {
        var (status, stdout, stderr) = Proc.Run(new SpawnOptions(Proc.DotnetHost, Proc.ProbePath, "poller-emfile"), TimeSpan.FromSeconds(60));
        output.WriteLine(stdout + stderr);
        Assert.True(status.Succeeded, status + "\n" + stderr);
        var results = Parse(stdout);
        Assert.Equal("epoll_create1 EMFILE", results["first"]);
        Assert.Equal("killed:SIGKILL", results["second"]);
    }

    [Fact]
    public void DaemonStartsReportsReadyHoldsItsPidFileAndStops()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var pidFile = Path.Combine(directory, "probe.pid");
            var logFile = Path.Combine(directory, "probe.log");
            var stopFile = Path.Combine(directory, "stop");

            var first = LaunchDaemon(pidFile, logFile, stopFile);
            Assert.Equal("Ready", first["outcome"]);
            var daemonPid = int.Parse(first["daemonPid"]);
            Assert.Equal(daemonPid + "\n", File.ReadAllText(pidFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pidFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(logFile));

            var log = File.ReadAllText(logFile);
            Assert.Contains("daemon pid=" + daemonPid + "\n", log, StringComparison.Ordinal);
            Assert.Contains("daemon cwd=/\n", log, StringComparison.Ordinal);
            Assert.Contains("daemon sid=" + daemonPid + "\n", log, StringComparison.Ordinal);
            Assert.Contains("daemon umask=0027\n", log, StringComparison.Ordinal);
            Assert.Contains("daemon marker=cleared\n", log, StringComparison.Ordinal);
            var stat = Proc.TryReadStat(daemonPid);
            Assert.NotNull(stat);
            Assert.Equal(daemonPid, stat.Value.Session);
            Assert.NotEqual('Z', stat.Value.State);

            // A second daemon with the same pid file finds it locked and dies before it is ready.
            var second = LaunchDaemon(pidFile, logFile, stopFile);
            Assert.Equal("ExitedBeforeReady", second["outcome"]);
            Assert.NotEqual("none", second["exitStatus"]);
            Assert.Contains("fcntl(F_OFD_SETLK) failed: EAGAIN (11)", File.ReadAllText(logFile), StringComparison.Ordinal);
            Assert.Equal(daemonPid + "\n", File.ReadAllText(pidFile));

            File.WriteAllText(stopFile, string.Empty);
            Assert.True(WaitUntil(() => !File.Exists(pidFile) && IsGone(daemonPid)), "daemon did not stop and remove its pid file");
            Assert.Contains("daemon stopping", File.ReadAllText(logFile), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void DaemonThatDiesBeforeReadyIsReportedWithItsStatus()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var result = LaunchDaemon("-", Path.Combine(directory, "log"), Path.Combine(directory, "stop"), "fail-before-ready");
            Assert.Equal("ExitedBeforeReady", result["outcome"]);
            Assert.Equal("exited:3", result["exitStatus"]);
            Assert.Contains("failing on purpose", File.ReadAllText(Path.Combine(directory, "log")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void DaemonThatDiesSlowlyAfterClosingThePipeStillGetsItsStatus()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            // The launcher's readiness timeout is 20 s; the daemon dies 6 s after closing the pipe.
            var result = LaunchDaemon("-", "-", Path.Combine(directory, "stop"), "slow-death");
            Assert.Equal("ExitedBeforeReady", result["outcome"]);
            Assert.Equal("exited:4", result["exitStatus"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void StalePidFileNobodyLocksIsReplaced()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var pidFile = Path.Combine(directory, "stale.pid");
            File.WriteAllText(pidFile, "999999\n");
            var stopFile = Path.Combine(directory, "stop");
            var result = LaunchDaemon(pidFile, "-", stopFile);
            Assert.Equal("Ready", result["outcome"]);
            var daemonPid = int.Parse(result["daemonPid"]);
            Assert.Equal(daemonPid + "\n", File.ReadAllText(pidFile));
            File.WriteAllText(stopFile, string.Empty);
            Assert.True(WaitUntil(() => !File.Exists(pidFile) && IsGone(daemonPid)), "daemon did not stop");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private Dictionary<string, string> LaunchDaemon(string pidFile, string logFile, string stopFile, params string[] extra)
    {
        var (status, stdout, stderr) = Proc.Run(
            new SpawnOptions(Proc.DotnetHost, [Proc.ProbePath, "daemon-start", pidFile, logFile, stopFile, .. extra]),
            TimeSpan.FromSeconds(60));
        output.WriteLine(stdout + stderr);
        var results = Parse(stdout);
        Assert.Equal(results["outcome"] == "Ready", status.Succeeded);
        return results;
    }

    private static bool IsGone(int pid) => Proc.TryReadStat(pid) is not { } stat || stat.State == 'Z';

    private static bool WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    private static Dictionary<string, string> Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Contains('=', StringComparison.Ordinal))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts[1]);
}
