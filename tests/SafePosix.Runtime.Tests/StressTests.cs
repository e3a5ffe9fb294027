using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SafePosix;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests;

/// <summary>
/// The review's stresses, sampled to a few seconds each for CI. SAFEPOSIX_STRESS_SCALE=N multiplies counts and
/// durations (bench/Runtime/stress.sh runs the long versions). Serial: the descriptor and zombie counts are
/// process-wide.
/// </summary>
[Collection(SerialCollection.Name)]
public class StressTests(ITestOutputHelper output)
{
    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("SAFEPOSIX_STRESS_SCALE"), out var scale) && scale > 0 ? scale : 1;

    [Fact]
    public async Task SpawnsKillsAndASignalStormLeaveNoDescriptorAndNoZombie()
    {
        await SpawnsReadingPipesFromEightThreads(16);
        await KilledWhileWaitedSomeDisposedMidWait(8);
        await SignalStormDuringSpawnsAndWaits(TimeSpan.FromMilliseconds(100)); // the runtime's signal pipe opens once
        Settle();
        var before = Proc.OpenDescriptors();

        var clock = Stopwatch.StartNew();
        var bytes = await SpawnsReadingPipesFromEightThreads(300 * Scale);
        output.WriteLine(300 * Scale + " spawns read " + bytes + " bytes in " + clock.Elapsed.TotalSeconds.ToString("F1") + " s");

        clock.Restart();
        await KilledWhileWaitedSomeDisposedMidWait(100 * Scale);
        output.WriteLine(100 * Scale + " children killed under two waits in " + clock.Elapsed.TotalSeconds.ToString("F1") + " s");

        var (cycles, signals) = await SignalStormDuringSpawnsAndWaits(TimeSpan.FromSeconds(2 * Scale));
        output.WriteLine(cycles + " spawn+wait cycles under " + signals + " SIGWINCH deliveries, no error");
        Assert.True(signals > 100, "the storm delivered only " + signals + " signals");

        Settle();
        var after = Proc.OpenDescriptors();
        var added = after.Where(kv => !before.TryGetValue(kv.Key, out var target) || target != kv.Value).ToList();
        output.WriteLine("new descriptors: " + string.Join(", ", added.Select(kv => kv.Key + " -> " + kv.Value)));

        // Ours would be pipes, pidfds, the poller's epoll or /dev/null. The listing's own handle on /proc/self/fd
        // (or the runtime's) may land on a different number than before; that is not a leak.
        Assert.DoesNotContain(added, kv => kv.Value.StartsWith("pipe:", StringComparison.Ordinal)
            || kv.Value.Contains("pidfd", StringComparison.Ordinal)
            || kv.Value.Contains("eventpoll", StringComparison.Ordinal)
            || kv.Value == "/dev/null");
        Assert.True(added.Count <= 2, "unexpected new descriptors: " + string.Join(", ", added));
        Assert.Empty(Proc.ZombieChildrenOf(Proc.SelfPid));
    }

    /// <summary>Each child writes 64 KiB that we read through a pipe; 8 threads start them.</summary>
    private static async Task<long> SpawnsReadingPipesFromEightThreads(int count)
    {
        long total = 0;
        var threads = Enumerable.Range(0, 8).Select(thread => Task.Factory.StartNew(
            () =>
            {
                for (var i = thread; i < count; i += 8)
                {
                    using var child = ChildProcess.Start(new SpawnOptions("/usr/bin/head", "-c", "65536", "/dev/zero") { StandardOutput = ChildStdio.Pipe });
                    using var sink = new MemoryStream();
                    child.StandardOutput!.CopyTo(sink);
                    Assert.Equal(ExitStatus.Exited(0), child.WaitForExit());
                    Assert.Equal(65536, sink.Length);
                    Interlocked.Add(ref total, sink.Length);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default));
        await Task.WhenAll(threads);
        return total;
    }

    /// <summary>Children with a blocked sync wait and an async wait each, killed together; every third disposed mid-wait.</summary>
    private static async Task KilledWhileWaitedSomeDisposedMidWait(int count)
    {
        var children = Enumerable.Range(0, count).Select(_ => ChildProcess.Start(new SpawnOptions("/bin/sleep", "60") { StandardInput = ChildStdio.Null })).ToArray();
        var syncWaits = children.Select(child => Task.Factory.StartNew(child.WaitForExit, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        var asyncWaits = children.Select(child => child.WaitForExitAsync()).ToArray();
        for (var i = 0; i < children.Length; i++)
        {
            if (i % 3 == 0)
            {
                children[i].Dispose();
            }

            children[i].Kill();
        }

        var statuses = await Task.WhenAll(syncWaits.Concat(asyncWaits)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(statuses, status => Assert.Equal(Signal.SIGKILL, status.Signal));
        foreach (var child in children)
        {
            child.Dispose();
        }
    }

    /// <summary>A thread sends SIGWINCH (which interrupts poll and epoll_wait) to this process as fast as it can.</summary>
    private static async Task<(int Cycles, int Signals)> SignalStormDuringSpawnsAndWaits(TimeSpan duration)
    {
        var delivered = 0;
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
        {
            context.Cancel = true;
            Interlocked.Increment(ref delivered);
        });
        using var stop = new CancellationTokenSource(duration);
        var sender = Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Proc.kill(Environment.ProcessId, 28);
                    Thread.SpinWait(2000);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var cycles = 0;
        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "sleep 0.01; exit 5") { StandardOutput = ChildStdio.Pipe });
                var status = worker % 2 == 0 ? child.WaitForExit() : await child.WaitForExitAsync();
                Assert.Equal(ExitStatus.Exited(5), status);
                Assert.Equal(0, child.StandardOutput!.Read(new byte[1], 0, 1));
                Interlocked.Increment(ref cycles);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await sender;
        return (cycles, Volatile.Read(ref delivered));
    }

    private static void Settle()
    {
        // Let background reaps and the finalizers of streams dropped by the runtime finish.
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(50);
        }
    }
}
