using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SafePosix;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests;

[Collection(SerialCollection.Name)]
public class ZombieAndConcurrencyTests(ITestOutputHelper output)
{
    [Fact]
    public void TenThousandSpawnWaitCyclesLeaveNoZombie()
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 10_000; i++)
        {
            using var child = ChildProcess.Start("/bin/true");
            var status = child.WaitForExit();
            if (!status.Succeeded)
            {
                Assert.Fail("cycle " + i + ": " + status);
            }
        }

        output.WriteLine("10,000 cycles in " + clock.Elapsed.TotalSeconds.ToString("F1") + " s");
        var zombies = Proc.ZombieChildrenOf(Proc.SelfPid);
        Assert.True(zombies.Count == 0, "zombies: " + string.Join(", ", zombies.Select(pid => File.ReadAllText("/proc/" + pid + "/stat").Split(" ")[1])));
    }

    [Fact]
    public async Task ThousandConcurrentChildrenFromEightThreads()
    {
        // Every child blocks reading one shared pipe, so all 1,000 are alive at once until we close the write end.
        SafeFileDescriptor.CreatePipe(out var gateRead, out var gateWrite);
        var children = new ChildProcess[1000];
        using (gateRead)
        {
            var starters = Enumerable.Range(0, 8).Select(thread => Task.Factory.StartNew(
                () =>
                {
                    for (var i = thread; i < children.Length; i += 8)
                    {
                        children[i] = ChildProcess.Start(new SpawnOptions("/bin/cat")
                        {
                            StandardInput = ChildStdio.From(gateRead),
                            StandardOutput = ChildStdio.Null,
                        });
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
            await Task.WhenAll(starters);
        }

        try
        {
            Assert.All(children, c => Assert.False(c.HasExited));
            Assert.Equal(1000, children.Select(c => c.Id).Distinct().Count());
            gateWrite.Dispose();

            // Half the waits synchronous on 8 threads, half through the shared poller.
            var syncWaits = Enumerable.Range(0, 8).Select(thread => Task.Factory.StartNew(
                () =>
                {
                    for (var i = thread * 2; i < children.Length; i += 16)
                    {
                        Assert.Equal(ExitStatus.Exited(0), children[i].WaitForExit());
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default));
            var asyncWaits = children.Where((_, i) => i % 2 == 1).Select(async c => Assert.Equal(ExitStatus.Exited(0), await c.WaitForExitAsync()));
            await Task.WhenAll(syncWaits.Concat(asyncWaits));
        }
        finally
        {
            gateWrite.Dispose();
            foreach (var child in children)
            {
                child?.Dispose();
            }
        }

        var zombies = Proc.ZombieChildrenOf(Proc.SelfPid);
        Assert.True(zombies.Count == 0, "zombies: " + string.Join(", ", zombies.Select(pid => File.ReadAllText("/proc/" + pid + "/stat").Split(" ")[1])));
    }

    [Fact]
    public void DisposingARunningChildStillReapsItLater()
    {
        int pid;
        using (var child = ChildProcess.Start("/bin/sh", "-c", "sleep 0.2"))
        {
            pid = child.Id;
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Proc.TryReadStat(pid) is { } stat && stat.ParentPid == Proc.SelfPid && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.Null(Proc.TryReadStat(pid) is { } s && s.ParentPid == Proc.SelfPid ? s : null);
    }
}

[Collection(SerialCollection.Name)]
public class DescriptorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThousandSpawnsIncludingHundredFailuresLeakNoDescriptor()
    {
        // Warm up everything that opens descriptors once per process (the poller's eventfd, pipe streams, libc),
        // so the comparison below sees only per-spawn leaks.
        await RunMix(0, 4);
        Settle();
        var before = Proc.OpenDescriptors();

        await RunMix(0, 1000);
        Settle();
        var after = Proc.OpenDescriptors();

        var added = after.Where(kv => !before.TryGetValue(kv.Key, out var target) || target != kv.Value).ToList();
        foreach (var (fd, target) in added)
        {
            output.WriteLine("new descriptor " + fd + " -> " + target);
        }

        // Ours would be pipes, pidfds or /dev/null; anything else belongs to the runtime or test host and is
        // reported above but not counted.
        Assert.DoesNotContain(added, kv => kv.Value.StartsWith("pipe:", StringComparison.Ordinal)
            || kv.Value.Contains("pidfd", StringComparison.Ordinal)
            || kv.Value == "/dev/null");
        Assert.True(added.Count <= 2, "unexpected new descriptors: " + string.Join(", ", added));
    }

    private static async Task RunMix(int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (i % 10 == 9)
            {
                // Fails after the pipes for stdio were made: they must be closed on the error path too.
                var failing = new SpawnOptions("/nonexistent/safeposix") { StandardOutput = ChildStdio.Pipe, StandardInput = ChildStdio.Pipe };
                Assert.Throws<PosixException>(() => ChildProcess.Start(failing));
                continue;
            }

            var options = new SpawnOptions("/bin/true");
            switch (i % 3)
            {
                case 0:
                    options.StandardOutput = ChildStdio.Pipe;
                    options.StandardError = ChildStdio.Pipe;
                    break;
                case 1:
                    options.StandardInput = ChildStdio.Null;
                    break;
            }

            using var child = ChildProcess.Start(options);
            var status = i % 2 == 0 ? child.WaitForExit() : await child.WaitForExitAsync();
            Assert.True(status.Succeeded);
        }
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Thread.Sleep(100);
    }

    [Fact]
    public void ChildSeesOnlyStdioAndWhatWasPassed()
    {
        SafeFileDescriptor.CreatePipe(out var read, out var write);
        using (read)
        using (write)
        {
            var options = new SpawnOptions("/bin/ls", "-1", "/proc/self/fd");
            options.ExtraDescriptors.Add(new DescriptorMapping(write, 7));
            var (status, stdout, stderr) = Proc.Run(options);
            Assert.True(status.Succeeded, stderr);

            // ls opens /proc/self/fd itself, and gets the lowest free number: 3.
            Assert.Equal(new[] { 0, 1, 2, 3, 7 }, ParseFds(stdout));
        }

        var (plainStatus, plainOut, _) = Proc.Run(new SpawnOptions("/bin/ls", "-1", "/proc/self/fd"));
        Assert.True(plainStatus.Succeeded);
        Assert.Equal(new[] { 0, 1, 2, 3 }, ParseFds(plainOut));
    }

    [Fact]
    public void DescriptorsOpenedWithoutCloexecElsewhereAreClosedInTheChild()
    {
        // dup() makes a descriptor without close-on-exec, as careless native code would.
        var leaky = Proc.dup(1);
        Assert.True(leaky > 2);
        try
        {
            var (_, guarded, _) = Proc.Run(new SpawnOptions("/bin/ls", "-1", "/proc/self/fd"));
            Assert.DoesNotContain(leaky, ParseFds(guarded));

            // The contrast shows what closefrom protects against.
            var (_, unguarded, _) = Proc.Run(new SpawnOptions("/bin/ls", "-1", "/proc/self/fd") { CloseOtherDescriptors = false });
            Assert.Contains(leaky, ParseFds(unguarded));
        }
        finally
        {
            Proc.close(leaky);
        }
    }

    [Fact]
    public void MappingsWhoseSourcesCollideWithTargetsStillArriveIntact()
    {
        // Source numbers are unknown in advance; mapping each pipe to the other's number forces the overlap case
        // whenever the numbers are small, and the content check proves each reached the right place.
        SafeFileDescriptor.CreatePipe(out var firstRead, out var firstWrite);
        SafeFileDescriptor.CreatePipe(out var secondRead, out var secondWrite);
        using (firstRead)
        using (secondRead)
        {
            var firstNumber = firstWrite.DangerousGetDescriptor();
            var secondNumber = secondWrite.DangerousGetDescriptor();
            var options = new SpawnOptions("/bin/bash", "-c", "echo first >&" + secondNumber + "; echo second >&" + firstNumber);
            using (firstWrite)
            using (secondWrite)
            {
                options.ExtraDescriptors.Add(new DescriptorMapping(firstWrite, secondNumber));
                options.ExtraDescriptors.Add(new DescriptorMapping(secondWrite, firstNumber));
                using var child = ChildProcess.Start(options);
                Assert.True(child.WaitForExit().Succeeded);
            }

            using var first = new StreamReader(new FileStream(new SafeFileHandle(firstRead.DangerousGetHandle(), false), FileAccess.Read, 1));
            using var second = new StreamReader(new FileStream(new SafeFileHandle(secondRead.DangerousGetHandle(), false), FileAccess.Read, 1));
            Assert.Equal("first", first.ReadLine());
            Assert.Equal("second", second.ReadLine());
        }
    }

    [Fact]
    public void EverythingWeOpenIsCloseOnExec()
    {
        var options = new SpawnOptions("/bin/sleep", "30") { StandardInput = ChildStdio.Pipe, StandardOutput = ChildStdio.Pipe };
        using var child = ChildProcess.Start(options);
        try
        {
            SafeFileDescriptor.CreatePipe(out var read, out var write);
            using (read)
            using (write)
            {
                foreach (var fd in new[] { read.DangerousGetDescriptor(), write.DangerousGetDescriptor() }
                    .Concat(Proc.OpenDescriptors().Where(kv => kv.Value.Contains("pidfd", StringComparison.Ordinal)).Select(kv => kv.Key)))
                {
                    var flags = File.ReadAllLines("/proc/self/fdinfo/" + fd).Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
                    var octal = Convert.ToInt32(flags[6..].Trim(), 8);
                    Assert.True((octal & 0x80000) != 0, "fd " + fd + " lacks O_CLOEXEC: " + flags);
                }
            }
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    private static int[] ParseFds(string listing) =>
        listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Order().ToArray();
}
