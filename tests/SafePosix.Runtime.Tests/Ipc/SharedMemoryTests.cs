using System;
using System.IO;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

[Collection(IpcObjectsCollection.Name)]
public sealed class SharedMemoryTests
{
    private static string NewName() => "safeposix-test-" + Guid.NewGuid().ToString("N");

    private static void AssertPattern(ReadOnlySpan<byte> span)
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] != (byte)(i * 31 + 7))
            {
                Assert.Fail("byte " + i + " is " + span[i]);
            }
        }
    }

    [Fact]
    public void NamedSharedMemoryWrittenByAChildIsReadByTheParentAndGoneAfterDispose()
    {
        var before = IpcSnapshot.Take();
        var name = NewName();
        using (var memory = SharedMemory.Create(name, (1 << 20) + 123))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode("/dev/shm/" + name));
            Assert.True(TestData.IsCloseOnExec(memory.Descriptor.DangerousGetDescriptor()));
            using var region = memory.Map();
            Assert.Equal(((1 << 20) + 123).ToString(System.Globalization.CultureInfo.InvariantCulture), Peer.Run(Peer.Options("shm-write", "/" + name)));
            AssertPattern(region.Span);
        }

        Assert.False(File.Exists("/dev/shm/" + name));
        before.AssertNothingNew();
    }

    [Fact]
    public void AnonymousSharedMemoryHandedToAChildIsWrittenThere()
    {
        using var memory = SharedMemory.CreateAnonymous(64 << 10);
        var options = Peer.Options("memfd-write", "3");
        options.ExtraDescriptors.Add(new DescriptorMapping(memory.Descriptor, 3));
        Assert.Equal((64 << 10).ToString(System.Globalization.CultureInfo.InvariantCulture), Peer.Run(options));
        using var region = memory.Map(access: MapAccess.Read);
        AssertPattern(region.Span);
    }

    [Fact]
    public void ASealedMemfdCannotBeTruncatedUnderItsMappings()
    {
        using var memory = SharedMemory.CreateAnonymous(8192, "sealed", sealSize: true);
        using var region = memory.Map();
        Assert.NotEqual(0, Interop.Libc.ftruncate(memory.Descriptor.DangerousGetDescriptor(), 0));
        Assert.Equal(Errno.EPERM, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        region.Span[8191] = 1; // still backed: no SIGBUS
    }

    [Fact]
    public void AnExistingNameIsRefusedAndLeftAlone()
    {
        var before = IpcSnapshot.Take();
        var name = NewName();
        using (var first = SharedMemory.Create(name, 4096))
        {
            first.Map().Span[0] = 42;
            Assert.Equal("EEXIST", Assert.Throws<PosixException>(() => SharedMemory.Create(name, 8192)).ErrorName);
            using var second = SharedMemory.Open(name, writable: false);
            Assert.Equal(4096, second.Size);
            Assert.False(second.IsOwner);
            using var view = second.Map(access: MapAccess.Read);
            Assert.Equal(42, view.Span[0]);
            Assert.Equal("EACCES", Assert.Throws<PosixException>(() => second.Map(access: MapAccess.ReadWrite)).ErrorName);
        }

        before.AssertNothingNew();
    }

    [Fact]
    public void UnlinkRemovesTheNameWhileTheMemoryStays()
    {
        var before = IpcSnapshot.Take();
        using var memory = SharedMemory.Create(NewName(), 4096);
        using var region = memory.Map();
        memory.Unlink();
        Assert.False(memory.IsOwner);
        before.AssertNothingNew();
        region.Span[4095] = 1;
        Assert.Equal(1, region.Span[4095]);
    }

    [Fact]
    public void AMappingAtAnUnalignedOffsetShowsTheRightBytesAndFlushesToTheFile()
    {
        var path = TestData.TempPath("mapped");
        try
        {
            var content = new byte[3 * Environment.SystemPageSize + 17];
            new Random(5).NextBytes(content);
            File.WriteAllBytes(path, content);
            using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
            using (var region = MappedRegion.Map(file, offset: 5000, length: 3000))
            {
                Assert.True(region.Span.SequenceEqual(content.AsSpan(5000, 3000)));
                region.Span[0] = (byte)~content[5000];
                region.Span[2999] = (byte)~content[7999];
                region.Flush();
                Assert.True(region.GetSpan(10, 5).SequenceEqual(content.AsSpan(5010, 5)));
            }

            var after = File.ReadAllBytes(path);
            Assert.Equal((byte)~content[5000], after[5000]);
            Assert.Equal((byte)~content[7999], after[7999]);
            Assert.Equal(content[4999], after[4999]);
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnySystemCallAndNothingLeaks()
    {
        var before = IpcSnapshot.Take();
        var descriptors = Proc.OpenDescriptors();
        Assert.Throws<ArgumentException>(() => SharedMemory.Create("", 10));
        Assert.Throws<ArgumentException>(() => SharedMemory.Create("/", 10));
        Assert.Throws<ArgumentException>(() => SharedMemory.Create("a/b", 10));
        Assert.Throws<ArgumentException>(() => SharedMemory.Create("a\0b", 10));
        Assert.Throws<ArgumentException>(() => SharedMemory.Create(new string('n', 256), 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedMemory.Create(NewName(), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedMemory.CreateAnonymous(0));
        using (var memory = SharedMemory.CreateAnonymous(4096))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.Map(offset: -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.Map(length: 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.Map(offset: 4000, length: 97)); // past the end: SIGBUS land
            using var region = memory.Map();
            Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(4000, 97));
            Assert.Throws<ArgumentOutOfRangeException>(() => region.Flush(0, 5000, wait: true));
        }

        var closed = SharedMemory.CreateAnonymous(4096);
        closed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => MappedRegion.Map(closed.Descriptor, 0, 10));
        Assert.Throws<ObjectDisposedException>(() => closed.Map());
        before.AssertNothingNew();
        Proc.AssertNoNewDescriptors(descriptors);
    }
}
