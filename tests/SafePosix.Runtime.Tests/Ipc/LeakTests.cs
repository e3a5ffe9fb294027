using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

/// <summary>
/// Bad input is rejected before any system call, and failures leak nothing: these tests count our open descriptors
/// (and IPC objects), so they run alone.
/// </summary>
[Collection(IpcObjectsCollection.Name)]
public sealed class LeakTests
{
    [Fact]
    public void OpeningForWriteWithNoReaderTimesOutWithoutLeaking()
    {
        var path = TestData.TempPath("fifo");
        try
        {
            Fifo.Create(path);
            var before = Proc.OpenDescriptors();
            var clock = Stopwatch.StartNew();
            Assert.Throws<TimeoutException>(() => Fifo.OpenWrite(path, TimeSpan.FromMilliseconds(200)));
            Assert.InRange(clock.ElapsedMilliseconds, 190, 5000);
            Assert.Throws<TimeoutException>(() => Fifo.OpenRead(path, TimeSpan.FromMilliseconds(100)));
            Proc.AssertNoNewDescriptors(before);
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void PipeBadArgumentsAreRejectedBeforeAnySystemCall()
    {
        var before = Proc.OpenDescriptors();
        Assert.Throws<ArgumentOutOfRangeException>(() => AnonymousPipe.Create(capacity: -1));
        using var pipe = AnonymousPipe.Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => pipe.Capacity = 0);
        pipe.ReadEnd.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pipe.Reader.Read(new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => new DescriptorStream(pipe.ReadEnd, FileAccess.Read));
        Assert.Throws<NotSupportedException>(() => pipe.Writer.Read(new byte[1]));
        pipe.Dispose();
        Proc.AssertNoNewDescriptors(before);
    }

    [Fact]
    public void MoreDescriptorsThanRoomWasMadeForIsDetectedAndNothingLeaks()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (var pipe = AnonymousPipe.Create())
        {
            var before = Proc.OpenDescriptors();
            a.SendDescriptors("x"u8, pipe.ReadEnd, pipe.WriteEnd, pipe.ReadEnd);
            var error = Assert.Throws<IOException>(() => b.ReceiveDescriptors(new byte[4], maxDescriptors: 1));
            Assert.Contains("MSG_CTRUNC", error.Message, StringComparison.Ordinal);
            Proc.AssertNoNewDescriptors(before);
        }
    }

    [Fact]
    public void SocketBadArgumentsAreRejectedBeforeAnySystemCall()
    {
        var before = Proc.OpenDescriptors();
        Assert.Throws<ArgumentException>(() => UnixSocket.Listen("/tmp/" + new string('a', 103)));
        Assert.Throws<ArgumentException>(() => UnixSocket.Listen("/tmp/a\0b"));
        Assert.Throws<ArgumentException>(() => UnixSocket.Connect("/tmp/é" + new string('a', 101)));
        Assert.Throws<ArgumentException>(() => UnixSocket.ListenAbstract(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnixSocket.Listen("/tmp/x", backlog: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnixSocket.CreatePair(SocketType.Raw));
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        {
            var pipe = AnonymousPipe.Create();
            Assert.Throws<ArgumentException>(() => a.SendDescriptors(ReadOnlySpan<byte>.Empty, pipe.ReadEnd));
            Assert.Throws<ArgumentOutOfRangeException>(() => a.SendDescriptors("x"u8));
            Assert.Throws<ArgumentOutOfRangeException>(() => b.ReceiveDescriptors(new byte[1], 0));
            Assert.Throws<ArgumentException>(() => b.ReceiveDescriptors(Span<byte>.Empty, 1));
            pipe.Dispose();
            Assert.Throws<ObjectDisposedException>(() => a.SendDescriptors("x"u8, pipe.ReadEnd));
        }

        Proc.AssertNoNewDescriptors(before);
    }

    [Fact]
    public void SendFileBadArgumentsAreRejectedBeforeAnySystemCall()
    {
        var before = Proc.OpenDescriptors();
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        {
            var pipe = AnonymousPipe.Create();
            Assert.Throws<ArgumentOutOfRangeException>(() => FileTransfer.SendFile(pipe.ReadEnd, a, offset: -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => FileTransfer.SendFile(pipe.ReadEnd, a, count: -2));
            pipe.Dispose();
            Assert.Throws<ObjectDisposedException>(() => FileTransfer.SendFile(pipe.ReadEnd, a));
        }

        Proc.AssertNoNewDescriptors(before);
    }
}
