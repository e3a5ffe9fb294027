using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

public sealed class FifoTests
{
    [Fact]
    public async Task CreatedOwnerOnlyAndCarriesDataBetweenAReaderAndAWriter()
    {
        var path = TestData.TempPath("fifo");
        try
        {
            Assert.True(Fifo.Create(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.False(Fifo.Create(path)); // our own FIFO: accepted as it is
            var reader = Task.Run(() =>
            {
                using var stream = Fifo.OpenRead(path, TimeSpan.FromSeconds(10));
                return TestData.ReadAll(stream);
            });
            using (var writer = Fifo.OpenWrite(path, TimeSpan.FromSeconds(10)))
            {
                writer.Write("through the fifo"u8);
            }

            Assert.Equal("through the fifo", await reader);
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void APathThatIsNotAFifoIsRefusedAndLeftAlone()
    {
        var path = TestData.TempPath("file");
        try
        {
            File.WriteAllText(path, "keep me");
            var error = Assert.Throws<PosixException>(() => Fifo.Create(path));
            Assert.Equal("EEXIST", error.ErrorName);
            Assert.Contains("not a FIFO", error.Message, StringComparison.Ordinal);
            Assert.Equal("EINVAL", Assert.Throws<PosixException>(() => Fifo.OpenWrite(path, TimeSpan.FromSeconds(1))).ErrorName);
            Assert.Equal("keep me", File.ReadAllText(path));
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnySystemCall()
    {
        Assert.Throws<ArgumentException>(() => Fifo.Create("/tmp/a\0b"));
        Assert.Throws<ArgumentException>(() => Fifo.Create(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fifo.Create("/tmp/x", (UnixFileMode)0x800));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fifo.OpenWrite("/tmp/x", TimeSpan.FromSeconds(-2)));
        Assert.Throws<ArgumentException>(() => Fifo.OpenRead("/tmp/a\0b", TimeSpan.FromSeconds(1)));
    }
}
