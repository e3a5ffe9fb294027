using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SafePosix;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests;

public class GracefulStopTests
{
    [Fact]
    public void SignalDeliversTheChosenSignal()
    {
        using var child = ChildProcess.Start("/bin/sleep", "30");
        child.Signal(Signal.SIGINT);
        Assert.Equal(Signal.SIGINT, child.WaitForExit().Signal);
        child.Signal(Signal.SIGTERM); // after the reap: nothing to signal, no error
    }

    [Fact]
    public async Task StopAsyncLetsAChildThatHandlesSigtermExitOnItsOwn()
    {
        using var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "trap 'exit 7' TERM; echo up; while :; do sleep 0.02; done")
        {
            StandardOutput = ChildStdio.Pipe,
        });
        Assert.Equal("up", new StreamReader(child.StandardOutput!).ReadLine());
        Assert.Equal(ExitStatus.Exited(7), await child.StopAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task StopAsyncKillsAChildThatIgnoresSigtermAfterTheGracePeriod()
    {
        using var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "trap '' TERM; echo up; sleep 30")
        {
            StandardOutput = ChildStdio.Pipe,
            ProcessGroup = 0,
        });
        Assert.Equal("up", new StreamReader(child.StandardOutput!).ReadLine());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var status = await child.StopAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(Signal.SIGKILL, status.Signal);
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 250, 10_000);
    }

    [Fact]
    public async Task CancellingTheGracefulWaitStopsTheChildAndReturnsItsStatus()
    {
        using var child = ChildProcess.Start("/bin/sleep", "30");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var status = await child.WaitForExitAsync(TimeSpan.FromSeconds(5), cancel.Token);
        Assert.Equal(Signal.SIGTERM, status.Signal);
    }
}

public class ProcessGroupTests(ITestOutputHelper output)
{
    [Fact]
    public void KillingTheGroupLeavesNoGrandchild()
    {
        using var leader = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "sleep 60 & echo $!; sleep 60 & echo $!; wait")
        {
            ProcessGroup = 0,
            StandardOutput = ChildStdio.Pipe,
        });
        Assert.Equal(leader.Id, leader.ProcessGroupId);
        var reader = new StreamReader(leader.StandardOutput!);
        var grandchildren = new[] { int.Parse(reader.ReadLine()!), int.Parse(reader.ReadLine()!) };
        Assert.All(grandchildren, pid => Assert.Equal(leader.Id, Proc.TryReadStat(pid)!.Value.ProcessGroup));

        leader.SignalProcessGroup(Signal.SIGKILL);
        Assert.Equal(Signal.SIGKILL, leader.WaitForExit().Signal);
        Assert.All(grandchildren, pid => Assert.True(Eventually(() => IsGoneOrZombie(pid)), "grandchild " + pid + " survived"));
        output.WriteLine("grandchildren " + string.Join(", ", grandchildren) + " are gone");
    }

    [Fact]
    public void GroupSignalNeedsAGroupLeader()
    {
        using var child = ChildProcess.Start("/bin/sleep", "30");
        Assert.Null(child.ProcessGroupId);
        Assert.Throws<InvalidOperationException>(() => child.SignalProcessGroup(Signal.SIGTERM));
        child.Kill();
        child.WaitForExit();
    }

    [Fact]
    public void KillOnParentExitKillsChildAndGrandchildWhenTheParentIsSigkilled()
    {
        using var parent = ChildProcess.Start(new SpawnOptions(Proc.DotnetHost, Proc.ProbePath, "parent-exit")
        {
            StandardOutput = ChildStdio.Pipe,
        });
        var results = new Dictionary<string, string>();
        var reader = new StreamReader(parent.StandardOutput!);
        while (!results.ContainsKey("ready") && reader.ReadLine() is { } line)
        {
            var parts = line.Split('=', 2);
            results[parts[0]] = parts[1];
        }

        output.WriteLine(string.Join(" ", results.Select(pair => pair.Key + "=" + pair.Value)));
        var child = int.Parse(results["child"]);
        var grandchild = int.Parse(results["grandchild"]);
        var unguarded = int.Parse(results["unguarded"]);
        Assert.False(IsGoneOrZombie(child));

        parent.Kill(Signal.SIGKILL);
        Assert.Equal(Signal.SIGKILL, parent.WaitForExit().Signal);
        Assert.True(Eventually(() => IsGoneOrZombie(child)), "the guarded child outlived its parent");
        Assert.True(Eventually(() => IsGoneOrZombie(grandchild)), "the guarded child's grandchild outlived the parent");

        // The control: without the option a child simply outlives its parent (clean it up by hand).
        Assert.False(IsGoneOrZombie(unguarded));
        Proc.kill(unguarded, 9);
    }

    [Fact]
    public void AGuardedChildThatEndsNormallyLetsItsGuardianGo()
    {
        using var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "exit 3") { KillOnParentExit = true });
        var guardian = child.ProcessGroupId!.Value;
        Assert.NotEqual(child.Id, guardian);
        Assert.Equal(ExitStatus.Exited(3), child.WaitForExit());

        // "done" on the pipe: the guardian exits on its own (and is reaped in the background), killing nobody.
        Assert.True(Eventually(() => Proc.TryReadStat(guardian) is null), "guardian " + guardian + " is still there");
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { KillOnParentExit = true, ProcessGroup = 0 }));
    }

    internal static bool IsGoneOrZombie(int pid) => Proc.TryReadStat(pid) is not { } stat || stat.State == 'Z';

    internal static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
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
}

public class BufferedRunTests
{
    [Fact]
    public async Task ArgumentsAndEnvironmentAsExactBytes()
    {
        var options = new SpawnOptions("/bin/sh")
        {
            ArgumentBytes = new List<byte[]> { "-c"u8.ToArray(), "printf %s \"$1$SAFEPOSIX_RAW\" | od -An -tx1"u8.ToArray(), "sh"u8.ToArray(), new byte[] { 0xff, 0x41 } },
            EnvironmentBytes = new List<byte[]> { "PATH=/usr/bin:/bin"u8.ToArray(), new byte[] { (byte)'S', (byte)'A', (byte)'F', (byte)'E', (byte)'P', (byte)'O', (byte)'S', (byte)'I', (byte)'X', (byte)'_', (byte)'R', (byte)'A', (byte)'W', (byte)'=', 0xfe } },
        };
        var result = await ChildProcess.RunAsync(options);
        Assert.Equal("ff 41 fe", result.StandardOutput.Trim());
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { ArgumentBytes = new List<byte[]> { new byte[] { 0x41, 0 } } }));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { EnvironmentBytes = new List<byte[]> { "NOEQUALS"u8.ToArray() } }));
    }

    [Fact]
    public async Task OneMebibyteThroughCatDoesNotDeadlock()
    {
        var input = new byte[1 << 20];
        new Random(11).NextBytes(input);
        var result = await ChildProcess.RunAsync(new SpawnOptions("/bin/cat"), new RunOptions { StandardInput = input })
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Status.Succeeded);
        Assert.Equal(input, result.StandardOutputBytes);
        Assert.Empty(result.StandardErrorBytes);
    }

    [Fact]
    public async Task BothOutputsAreCollectedWhileTheChildFillsThem()
    {
        // 256 KiB to each output, more than either pipe buffer holds: only concurrent reading lets it finish.
        var result = await ChildProcess.RunAsync(new SpawnOptions("/bin/sh", "-c", "head -c 262144 /dev/zero; head -c 262144 /dev/zero >&2; exit 4"))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitStatus.Exited(4), result.Status);
        Assert.Equal(262144, result.StandardOutputBytes.Length);
        Assert.Equal(262144, result.StandardErrorBytes.Length);
    }

    [Fact]
    public async Task NonZeroExitThrowsWhenAskedWithStderrInTheMessage()
    {
        var error = await Assert.ThrowsAsync<ChildProcessFailedException>(() => ChildProcess.RunAsync(
            new SpawnOptions("/bin/sh", "-c", "echo oops >&2; exit 3"),
            new RunOptions { ThrowOnFailure = true }));
        Assert.Equal(ExitStatus.Exited(3), error.Result.Status);
        Assert.Contains("oops", error.Message, StringComparison.Ordinal);
        Assert.Contains("exited with code 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellationStopsTheChildAndThrows()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ChildProcess.RunAsync(
            new SpawnOptions("/bin/sleep", "30"),
            new RunOptions { GracePeriod = TimeSpan.FromSeconds(5) },
            cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task LinesOfBothOutputsStreamWithTheirSource()
    {
        using var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "echo a; echo b >&2; echo c; printf d")
        {
            StandardOutput = ChildStdio.Pipe,
            StandardError = ChildStdio.Pipe,
        });
        var lines = new List<OutputLine>();
        await foreach (var line in child.ReadLinesAsync())
        {
            lines.Add(line);
        }

        Assert.Equal(new[] { "a", "c", "d" }, lines.Where(l => l.Source == OutputSource.StandardOutput).Select(l => l.Text));
        Assert.Equal(new[] { "b" }, lines.Where(l => l.Source == OutputSource.StandardError).Select(l => l.Text));
        Assert.True(child.WaitForExit().Succeeded);
    }
}

public class PipelineTests
{
    [Fact]
    public void ThreeStagesWithRealPipesAndEveryStatus()
    {
        using var pipeline = Pipeline.Start(
            new SpawnOptions("/bin/printf", "b\\na\\nc\\n"),
            new SpawnOptions("sort"),
            new SpawnOptions("head", "-n", "2") { StandardOutput = ChildStdio.Pipe });

        // The middle stage reads from a pipe whose other end is the first child's stdout, not ours.
        Assert.Equal("a\nb\n", new StreamReader(pipeline.StandardOutput!).ReadToEnd());
        Assert.Equal(new[] { ExitStatus.Exited(0), ExitStatus.Exited(0), ExitStatus.Exited(0) }, pipeline.WaitForExit());
    }

    [Fact]
    public async Task AnEarlyExitDownstreamEndsTheProducerWithSigpipe()
    {
        using var pipeline = Pipeline.Start(
            new SpawnOptions("yes"),
            new SpawnOptions("head", "-n", "1") { StandardOutput = ChildStdio.Null });
        var statuses = await pipeline.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Signal.SIGPIPE, statuses[0].Signal);
        Assert.Equal(ExitStatus.Exited(0), statuses[1]);
    }

    [Fact]
    public void AFailingStageStopsTheOnesAlreadyStarted()
    {
        var error = Assert.Throws<PosixException>(() => Pipeline.Start(new SpawnOptions("yes"), new SpawnOptions("/nonexistent/safeposix")));
        Assert.Equal("ENOENT", error.ErrorName);
        Assert.Throws<ArgumentException>(() => Pipeline.Start(new SpawnOptions("yes")));
    }
}

public class TerminalTests
{
    [Fact]
    public async Task ChildRunsOnThePtyAsItsControllingTerminal()
    {
        using var terminal = PseudoTerminal.Open(rows: 33, columns: 101);
        Assert.StartsWith("/dev/pts/", terminal.SlavePath, StringComparison.Ordinal);
        Assert.Equal((33, 101), terminal.Size);
        using var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "tty; stty size; echo ctty=$(cut -d' ' -f7 /proc/$$/stat); read x; echo got:$x")
        {
            Terminal = terminal,
        });

        var seen = new StringBuilder();
        var reading = Task.Factory.StartNew(
            () =>
            {
                var buffer = new byte[4096];
                int read;
                while ((read = terminal.Stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    lock (seen)
                    {
                        seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    }
                }
            },
            TaskCreationOptions.LongRunning);

        Assert.True(ProcessGroupTests.Eventually(() => { lock (seen) { return seen.ToString().Contains("33 101", StringComparison.Ordinal); } }));
        terminal.Stream.Write("hello\n"u8);
        Assert.Equal(ExitStatus.Exited(0), await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        // All slave ends are closed now: the master reads end of stream (EIO from the kernel).
        await reading.WaitAsync(TimeSpan.FromSeconds(20));
        var text = seen.ToString();
        Assert.Contains(terminal.SlavePath, text, StringComparison.Ordinal);
        Assert.Contains("got:hello", text, StringComparison.Ordinal);

        // The pty is the controlling terminal: tty_nr in /proc/<pid>/stat is /dev/pts/N's device number (136, N).
        var ptsNumber = int.Parse(terminal.SlavePath["/dev/pts/".Length..]);
        var expected = (136 << 8) | (ptsNumber & 0xff) | ((ptsNumber & ~0xff) << 12);
        Assert.Contains("ctty=" + expected, text, StringComparison.Ordinal);

        // A session leader whose controlling terminal is the pty: its session id is its own pid.
        Assert.Equal(child.Id, child.ProcessGroupId);
    }
}

public class ServiceNotifyTests
{
    [Fact]
    public void ReadyStatusAndStoppingArriveAtTheSocketTheTestBound()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var path = Path.Combine(directory, "notify");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            ServiceNotify.Notify("READY=1", path);
            ServiceNotify.Notify("STATUS=serving 3 clients", path);
            ServiceNotify.Notify("STOPPING=1", path);
            Assert.Equal(new[] { "READY=1", "STATUS=serving 3 clients", "STOPPING=1" }, Enumerable.Range(0, 3).Select(_ => Receive(socket)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AbstractSocketsAreWrittenWithAnAt()
    {
        var name = "safeposix-notify-" + Guid.NewGuid().ToString("N");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        ServiceNotify.Notify("READY=1", "@" + name);
        Assert.Equal("READY=1", Receive(socket));
    }

    [Fact]
    public void AChildFindsTheSocketInNotifySocket()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var path = Path.Combine(directory, "notify");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            var environment = SpawnOptions.CurrentEnvironment();
            environment[ServiceNotify.SocketVariable] = path;
            var (status, stdout, stderr) = Proc.Run(new SpawnOptions(Proc.DotnetHost, Proc.ProbePath, "notify") { Environment = environment });
            Assert.True(status.Succeeded, stderr);
            Assert.Equal("READY=1", Receive(socket));
            Assert.Equal("STATUS=probe ready", Receive(socket));
            Assert.Contains("sent=True", stdout, StringComparison.Ordinal);
            Assert.False(ServiceNotify.Ready() && Environment.GetEnvironmentVariable(ServiceNotify.SocketVariable) is null);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Receive(Socket socket)
    {
        socket.ReceiveTimeout = 10_000;
        var buffer = new byte[4096];
        return Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
    }
}
