using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

/// <summary>
/// Signals land on threads blocked in our calls. The runtime installs its handlers with SA_RESTART, so plain reads and
/// writes restart in the kernel, but poll, msgrcv, msgsnd and futex always fail with EINTR: those are what the
/// retries in the library are for.
/// </summary>
[Collection(IpcObjectsCollection.Name)]
public sealed partial class SignalStormTests
{
    private const int SIGWINCH = 28;

    [Fact]
    public void TheStormReallyInterruptsSystemCalls()
    {
        // Without this the storm test could pass with no signal ever hitting a blocked call.
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => { });
        using var queue = MessageQueue.CreatePrivate();
        var interrupted = 0;
        var tid = 0;
        var worker = new Thread(() =>
        {
            Volatile.Write(ref tid, gettid());
            unsafe
            {
                var buffer = stackalloc byte[64];
                for (var i = 0; i < 20 && interrupted == 0; i++)
                {
                    if (Interop.Libc.msgrcv(queue.Id, buffer, 56, 0, 0) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR)
                    {
                        interrupted++;
                    }
                }
            }
        });
        worker.Start();
        while (Volatile.Read(ref tid) == 0)
        {
            Thread.Yield();
        }

        for (var i = 0; i < 200 && worker.IsAlive; i++)
        {
            Thread.Sleep(5);
            tgkill(Environment.ProcessId, tid, SIGWINCH);
        }

        queue.Remove(); // releases a worker that was never interrupted (EIDRM)
        worker.Join();
        Assert.True(interrupted > 0);
    }

    [Fact]
    public async Task BlockingCallsSeeNoSpuriousErrorsUnderTenThousandSignals()
    {
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => { });
        var before = IpcSnapshot.Take();
        var errors = new ConcurrentQueue<Exception>();
        var tids = new ConcurrentBag<int>();
        var done = new CountdownEvent(6);
        var stop = new CancellationTokenSource();
        const int rounds = 300;
        var stopWorkers = false;

        using var queue = MessageQueue.CreatePrivate();
        using var fullQueue = MessageQueue.CreatePrivate();
        using var pipe = AnonymousPipe.Create(nonBlocking: true, capacity: 4096);  // reads and writes wait in poll
        using var ring = SharedRing.CreateAnonymous(4096);
        var (socketA, socketB) = UnixSocket.CreatePair();
        var path = TestData.TempPath("s");
        using var listener = UnixSocket.Listen(path);
        var threads = new List<Thread>
        {
            Worker("msgrcv", () => queue.Receive(new byte[64], 0, out _)),
            Worker("pipe read", () => ReadExactly(pipe.Reader, 1000)),
            Worker("recvmsg", () => socketB.ReceiveDescriptors(new byte[16], 1).Descriptors[0].Dispose()),
            Worker("accept", () => listener.Accept().Dispose()),
            Worker("ring read", () => ring.Read(new byte[64])),
            Worker("msgsnd", () => fullQueue.Send(2, new byte[MessageQueue.MaxMessageSize])), // fills the queue, then waits
        };

        var signals = 0;
        var signaller = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var tid in tids)
                {
                    if (tgkill(Environment.ProcessId, tid, SIGWINCH) == 0)
                    {
                        Interlocked.Increment(ref signals);
                    }
                }

                Thread.SpinWait(2000);
            }
        });
        signaller.Start();

        // Feed each worker slowly, so it spends most of its time blocked while the signals fly, for at least `rounds` rounds
        // and until enough signals have gone out. The feeding runs on its own thread with a time limit: a worker that
        // failed must fail the test, not hang it.
        var feeding = Task.Run(() =>
        {
            var buffer = new byte[MessageQueue.MaxMessageSize];
            var pipeChunk = new byte[1000];
            for (var round = 0; errors.IsEmpty; round++)
            {
                if (round >= rounds && Volatile.Read(ref signals) >= IpcSizes.Signals)
                {
                    // One last round releases every worker still blocked; each sees the flag after its operation.
                    Volatile.Write(ref stopWorkers, true);
                }

                Thread.Sleep(2);
                if (Volatile.Read(ref stopWorkers))
                {
                    // The last round must not wait on a worker that has already left.
                    queue.TrySend(1, "m"u8);
                    pipe.TryWrite(pipeChunk);
                    socketA.SendDescriptors("d"u8, pipe.ReadEnd);
                    UnixSocket.Connect(path).Dispose();
                    ring.TryWrite("r"u8);
                    fullQueue.TryReceive(buffer, 2, out _, out _);
                    break;
                }

                queue.Send(1, "m"u8);
                pipe.Writer.Write(pipeChunk);
                socketA.SendDescriptors("d"u8, pipe.ReadEnd);
                UnixSocket.Connect(path).Dispose();
                ring.Write("r"u8);
                fullQueue.Receive(buffer, 2, out _); // makes room for the msgsnd worker
            }
        });
        try
        {
            await feeding.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(done.Wait(TimeSpan.FromSeconds(30)), "a worker did not finish");
        }
        finally
        {
            stop.Cancel();
            signaller.Join();
            socketA.Dispose();
            socketB.Dispose();
            TestData.RemoveTempDirectoryOf(path);
        }

        Assert.Empty(errors);
        Assert.True(signals >= IpcSizes.Signals, "only " + signals + " signals were sent");
        queue.Dispose();
        fullQueue.Dispose();
        before.AssertNothingNew();

        Thread Worker(string name, Action operation)
        {
            var thread = new Thread(() =>
            {
                tids.Add(gettid());
                try
                {
                    while (!Volatile.Read(ref stopWorkers))
                    {
                        operation();
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(new InvalidOperationException(name + " failed", e));
                }
                finally
                {
                    done.Signal();
                }
            })
            { IsBackground = true, Name = name };
            thread.Start();
            return thread;
        }
    }

    private static void ReadExactly(Stream stream, int count)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            var n = stream.Read(buffer, total, count - total);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            total += n;
        }
    }

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tgkill(int tgid, int tid, int signal);
}
