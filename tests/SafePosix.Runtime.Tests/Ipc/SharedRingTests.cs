using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using SafePosix.Ipc;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests.Ipc;

[Collection(IpcObjectsCollection.Name)]
public sealed class SharedRingTests(ITestOutputHelper output)
{
    private static string NewName() => "safeposix-test-ring-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task TenMillionMessagesCrossProcessesWithNoneLostOrRepeated()
    {
        var before = IpcSnapshot.Take();
        var count = IpcSizes.RingMessages;
        var name = NewName();
        using (var ring = SharedRing.Create(name, 1 << 20))
        {
            using var child = Peer.Start("ring-produce", name, count.ToString(CultureInfo.InvariantCulture));
            var stdout = TestData.ReadAllAsync(child.StandardOutput!);
            var stderr = TestData.ReadAllAsync(child.StandardError!);
            var buffer = new byte[ring.MaxMessageLength];
            long expected = 0;
            var clock = Stopwatch.StartNew();
            int length;
            while ((length = ring.Read(buffer)) >= 0)
            {
                var sequence = BitConverter.ToInt64(buffer, 0);
                if (sequence != expected || length != 8 + (int)(expected % 9))
                {
                    Assert.Fail("message " + expected + " arrived as " + sequence + " with " + length + " bytes");
                }

                expected++;
            }

            clock.Stop();
            Assert.True(child.WaitForExit().Succeeded, await stderr);
            Assert.Equal(count, expected);
            Assert.Equal(count.ToString(CultureInfo.InvariantCulture), (await stdout).Trim());
            output.WriteLine(count + " messages in " + clock.ElapsedMilliseconds + " ms (including the child's start-up)");
        }

        before.AssertNothingNew();
    }

    [Fact]
    public async Task MessagesOfEverySizeWrapAroundIntactBetweenThreads()
    {
        using var writer = SharedRing.CreateAnonymous(4096);
        using var reader = SharedRing.Attach(Dup(writer.Descriptor));
        const int messages = 20_000;
        var produce = Task.Run(() =>
        {
            var message = new byte[writer.MaxMessageLength];
            for (var i = 0; i < messages; i++)
            {
                var length = i % (writer.MaxMessageLength + 1);
                message.AsSpan(0, length).Fill((byte)i);
                writer.Write(message.AsSpan(0, length));
            }

            writer.Complete();
        });
        var buffer = new byte[reader.MaxMessageLength];
        var received = 0;
        int n;
        while ((n = reader.Read(buffer)) >= 0)
        {
            Assert.Equal(received % (reader.MaxMessageLength + 1), n);
            Assert.True(buffer.AsSpan(0, n).IndexOfAnyExcept((byte)received) < 0);
            received++;
        }

        await produce;
        Assert.Equal(messages, received);
    }

    [Fact]
    public void AFullRingRefusesAndAnEmptyOneTimesOut()
    {
        using var ring = SharedRing.CreateAnonymous(4096);
        var message = new byte[100];
        var written = 0;
        while (ring.TryWrite(message))
        {
            written++;
        }

        Assert.Equal(4096 / 104, written);
        Assert.False(ring.TryWrite(message, TimeSpan.FromMilliseconds(50)));
        var buffer = new byte[ring.MaxMessageLength];
        for (var i = 0; i < written; i++)
        {
            Assert.True(ring.TryRead(buffer, out var length));
            Assert.Equal(100, length);
        }

        var clock = Stopwatch.StartNew();
        Assert.False(ring.TryRead(buffer, TimeSpan.FromMilliseconds(100), out _));
        Assert.InRange(clock.ElapsedMilliseconds, 90, 5000);
        ring.Complete();
        Assert.True(ring.TryRead(buffer, TimeSpan.FromSeconds(5), out var end));
        Assert.Equal(-1, end);
    }

    [Fact]
    public async Task ASleepingReaderIsWokenByTheWriter()
    {
        using var writer = SharedRing.CreateAnonymous(4096);
        using var reader = SharedRing.Attach(Dup(writer.Descriptor));
        var read = Task.Run(() => reader.Read(new byte[64]));
        await Task.Delay(200); // long past the spinning: the reader sleeps on the futex
        writer.Write("wake"u8);
        Assert.Equal(4, await read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public unsafe void ACorruptRingIsDetectedNotReadOutOfBounds()
    {
        using var ring = SharedRing.CreateAnonymous(4096);
        ring.Write("ok"u8);
        using (var region = MappedRegion.Map(ring.Descriptor, 256, 4096))
        {
            region.Span[0] = 0xFF;
            region.Span[1] = 0xFF;
            region.Span[2] = 0xFF;
            region.Span[3] = 0x7F; // length int.MaxValue
        }

        Assert.Throws<InvalidDataException>(() => ring.TryRead(new byte[64], out _));
        using var notARing = SharedMemory.CreateAnonymous(256 + 4096);
        Assert.Throws<InvalidDataException>(() => SharedRing.Attach(Dup(notARing.Descriptor)));
    }

    [Fact]
    public void BadArgumentsAreRejectedAndNothingLeaks()
    {
        var before = IpcSnapshot.Take();
        var descriptors = Proc.OpenDescriptors();
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedRing.Create(NewName(), 5000));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedRing.Create(NewName(), -4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedRing.CreateAnonymous(2048));
        Assert.Throws<ArgumentException>(() => SharedRing.Create("bad/name", 4096));
        using (var ring = SharedRing.Create(NewName(), 4096))
        {
            Assert.Throws<ArgumentException>(() => ring.TryWrite(new byte[ring.MaxMessageLength + 1]));
            ring.Write(new byte[10]);
            Assert.Throws<ArgumentException>(() => ring.TryRead(new byte[9], out _));
            Assert.True(ring.TryRead(new byte[10], out var length)); // the message stayed
            Assert.Equal(10, length);
            Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryRead(new byte[10], TimeSpan.FromSeconds(-3), out _));
        }

        var disposed = SharedRing.CreateAnonymous(4096);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.TryWrite("x"u8));
        before.AssertNothingNew();
        Proc.AssertNoNewDescriptors(descriptors);
    }

    private static SafeFileDescriptor Dup(SafeFileDescriptor descriptor)
    {
        var fd = Interop.Libc.fcntl(descriptor.DangerousGetDescriptor(), Interop.Libc.F_DUPFD_CLOEXEC, 3);
        Assert.True(fd >= 0);
        return new SafeFileDescriptor(fd, ownsHandle: true);
    }
}
