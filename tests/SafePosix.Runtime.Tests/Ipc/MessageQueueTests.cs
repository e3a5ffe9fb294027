using System;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

[Collection(IpcObjectsCollection.Name)]
public sealed class MessageQueueTests
{
    [Fact]
    public async Task AHundredThousandMessagesFromAnotherProcessArriveInOrderAndTheQueueIsGoneAfterDispose()
    {
        var before = IpcSnapshot.Take();
        var count = IpcSizes.QueueMessages;
        using (var queue = MessageQueue.CreatePrivate())
        {
            using var child = Peer.Start("mq-send", queue.Id.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture));
            var stdout = TestData.ReadAllAsync(child.StandardOutput!);
            var stderr = TestData.ReadAllAsync(child.StandardError!);
            var buffer = new byte[MessageQueue.MaxMessageSize];
            for (var i = 0; i < count; i++)
            {
                var length = queue.Receive(buffer, 0, out var type);
                Assert.Equal(1 + (i % 3), type);
                Assert.Equal(4 + (i % 50), length);
                Assert.Equal(i, BitConverter.ToInt32(buffer, 0));
                for (var j = 4; j < length; j++)
                {
                    Assert.Equal((byte)i, buffer[j]);
                }
            }

            Assert.True(child.WaitForExit().Succeeded, await stderr);
            Assert.Equal(count.ToString(CultureInfo.InvariantCulture), (await stdout).Trim());
            Assert.False(queue.TryReceive(buffer, 0, out _, out _));
            Assert.Equal(0, queue.Count);
        }

        before.AssertNothingNew();
    }

    [Fact]
    public void ReceivingByTypeTakesThatTypeOrTheLowestUpToIt()
    {
        var before = IpcSnapshot.Take();
        using (var queue = MessageQueue.CreatePrivate())
        {
            foreach (var (type, text) in new[] { (3L, "c1"), (1L, "a1"), (2L, "b1"), (1L, "a2"), (3L, "c2") })
            {
                queue.Send(type, System.Text.Encoding.ASCII.GetBytes(text));
            }

            Assert.Equal(5, queue.Count);
            Assert.Equal("b1", Receive(queue, 2, out var t));
            Assert.Equal(2, t);
            Assert.Equal("c1", Receive(queue, 0, out t)); // 0: the oldest of any type
            Assert.Equal("a1", Receive(queue, -3, out t)); // < 0: the lowest type up to 3
            Assert.Equal("c2", Receive(queue, 3, out _));
            Assert.False(queue.TryReceive(new byte[8], 3, out _, out _)); // no type 3 left: a result, not an exception
            Assert.Equal("a2", Receive(queue, -1, out _));
            Assert.False(queue.TryReceive(new byte[8], 0, out _, out _));
        }

        before.AssertNothingNew();
    }

    [Fact]
    public void AFullQueueMakesTrySendReturnFalse()
    {
        var before = IpcSnapshot.Take();
        using (var queue = MessageQueue.CreatePrivate())
        {
            var big = new byte[MessageQueue.MaxMessageSize];
            var sent = 0;
            while (queue.TrySend(1, big))
            {
                Assert.InRange(++sent, 1, 10_000);
            }

            Assert.True(sent >= 1);
            Assert.Equal(sent, queue.Count);
        }

        before.AssertNothingNew();
    }

    [Fact]
    public void KeyedQueuesAreExclusiveAndOnlyTheCreatorRemovesThem()
    {
        var before = IpcSnapshot.Take();
        var key = 0x5AFE0000 | (Environment.ProcessId & 0xFFFF);
        using (var created = MessageQueue.Create(key))
        {
            Assert.Equal("EEXIST", Assert.Throws<PosixException>(() => MessageQueue.Create(key)).ErrorName);
            using (var opened = MessageQueue.Open(key))
            {
                Assert.Equal(created.Id, opened.Id);
                Assert.False(opened.IsOwner);
                opened.Send(7, "hello"u8);
            }

            Assert.Equal(1, created.Count); // the opener's Dispose left the queue alone
            var lines = File.ReadAllLines("/proc/sysvipc/msg");
            var mine = Array.Find(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var id, ..] && id == created.Id.ToString(CultureInfo.InvariantCulture));
            Assert.NotNull(mine);
            Assert.Equal("600", mine!.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]); // perms, octal
        }

        Assert.Equal("ENOENT", Assert.Throws<PosixException>(() => MessageQueue.Open(key)).ErrorName);
        before.AssertNothingNew();
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnySystemCall()
    {
        var before = IpcSnapshot.Take();
        using (var queue = MessageQueue.CreatePrivate())
        {
            var error = Assert.Throws<ArgumentException>(() => queue.Send(1, new byte[MessageQueue.MaxMessageSize + 1]));
            Assert.Contains("msgmax", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => queue.Send(0, "x"u8));
            Assert.Throws<ArgumentOutOfRangeException>(() => queue.TrySend(-5, "x"u8));
            Assert.Equal(0, queue.Count);
            queue.Send(1, new byte[100]);
            var tooSmall = Assert.Throws<PosixException>(() => queue.Receive(new byte[10], 0, out _));
            Assert.Equal("E2BIG", tooSmall.ErrorName);
            Assert.Equal(1, queue.Count); // still there
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => MessageQueue.Create(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageQueue.CreatePrivate((UnixFileMode)0x800));
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageQueue.Attach(-1));
        var disposed = MessageQueue.CreatePrivate();
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.Send(1, "x"u8));
        before.AssertNothingNew();
    }

    private static string Receive(MessageQueue queue, long type, out long receivedType)
    {
        var buffer = new byte[64];
        var length = queue.Receive(buffer, type, out receivedType);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, length);
    }
}
