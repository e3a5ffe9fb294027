using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

public sealed class PipeTests
{
    [Fact]
    public async Task SixtyFourMebibytesReachAnotherProcessIntactThroughPartialWrites()
    {
        // Non-blocking with a one-page buffer: nearly every write is partial or EAGAIN, so the loop must finish them.
        // The child shares the non-blocking file description and has to wait with poll as well.
        const int total = 64 << 20;
        string output;
        string expected;
        using (var pipe = AnonymousPipe.Create(nonBlocking: true, capacity: 4096))
        {
            var options = Peer.Options("hash-stdin");
            options.StandardInput = ChildStdio.From(pipe.ReadEnd);
            options.StandardOutput = ChildStdio.Pipe;
            options.StandardError = ChildStdio.Pipe;
            using var child = ChildProcess.Start(options);
            pipe.ReadEnd.Dispose();
            var stdout = TestData.ReadAllAsync(child.StandardOutput!);
            var stderr = TestData.ReadAllAsync(child.StandardError!);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var random = new Random(1);
            var chunk = new byte[1 << 20];
            for (var sent = 0; sent < total; sent += chunk.Length)
            {
                random.NextBytes(chunk);
                sha.AppendData(chunk);
                pipe.Writer.Write(chunk);
            }

            pipe.WriteEnd.Dispose();
            expected = total + " " + Convert.ToHexString(sha.GetHashAndReset());
            var status = child.WaitForExit();
            Assert.True(status.Succeeded, status + await stderr);
            output = (await stdout).Trim();
        }

        Assert.Equal(expected, output);
    }

    [Fact]
    public void WritingToAPipeWhoseReaderIsGoneIsAnIOExceptionWithEpipe()
    {
        using var pipe = AnonymousPipe.Create();
        pipe.ReadEnd.Dispose();
        var error = Assert.Throws<IOException>(() => pipe.Writer.Write(new byte[10]));
        var inner = Assert.IsType<PosixException>(error.InnerException);
        Assert.Equal("EPIPE", inner.ErrorName);
        Assert.Equal("write", inner.FunctionName);
    }

    [Fact]
    public void ReaderSeesEndOfFileOnceTheWriteEndIsClosed()
    {
        using var pipe = AnonymousPipe.Create();
        pipe.Writer.Write("abc"u8);
        pipe.WriteEnd.Dispose();
        Assert.Equal("abc", TestData.ReadAll(pipe.Reader));
    }

    [Fact]
    public async Task PosixIoWritesAllAndReadsExactlyOnARawDescriptorNumber()
    {
        using var pipe = AnonymousPipe.Create(nonBlocking: true, capacity: 4096);
        var borrowedWriteEnd = new SafeFileDescriptor(pipe.WriteEnd.DangerousGetDescriptor(), ownsHandle: false);
        var data = new byte[100_000];
        new Random(7).NextBytes(data);
        var writer = Task.Run(() => PosixIo.WriteAll(borrowedWriteEnd, data)); // far more than the pipe holds
        var received = new byte[data.Length];
        PosixIo.ReadExactly(pipe.ReadEnd, received);
        await writer;
        Assert.Equal(data, received);
        borrowedWriteEnd.Dispose();
        Assert.False(pipe.WriteEnd.IsClosed); // the borrowed wrapper did not close our descriptor
        pipe.WriteEnd.Dispose();
        Assert.Throws<EndOfStreamException>(() => PosixIo.ReadExactly(pipe.ReadEnd, new byte[1]));
        Assert.Equal(0, PosixIo.Read(pipe.ReadEnd, new byte[1]));
    }

    [Fact]
    public void CapacityCanBeReadAndRaised()
    {
        using var pipe = AnonymousPipe.Create();
        Assert.Equal(65536, pipe.Capacity);
        pipe.Capacity = 1 << 20;
        Assert.Equal(1 << 20, pipe.Capacity);
        using var small = AnonymousPipe.Create(capacity: 5000);
        Assert.Equal(8192, small.Capacity); // rounded up to a power-of-two number of pages
    }

    [Fact]
    public void NonBlockingTryReadAndTryWriteReportEmptyAndFullInsteadOfThrowing()
    {
        using var pipe = AnonymousPipe.Create(nonBlocking: true, capacity: 4096);
        Assert.False(pipe.TryRead(new byte[16], out _));
        var written = pipe.TryWrite(new byte[10000]);
        Assert.Equal(4096, written);
        Assert.Equal(0, pipe.TryWrite(new byte[1]));
        Assert.True(pipe.TryRead(new byte[10000], out var read));
        Assert.Equal(4096, read);
        pipe.WriteEnd.Dispose();
        Assert.True(pipe.TryRead(new byte[16], out read));
        Assert.Equal(0, read);
    }

    [Fact]
    public void BothEndsAreCloseOnExec()
    {
        using var pipe = AnonymousPipe.Create();
        Assert.True(TestData.IsCloseOnExec(pipe.ReadEnd.DangerousGetDescriptor()));
        Assert.True(TestData.IsCloseOnExec(pipe.WriteEnd.DangerousGetDescriptor()));
    }

    [Fact]
    public async Task AsyncReadsAndWritesWork()
    {
        using var pipe = AnonymousPipe.Create();
        var reader = Task.Run(() => TestData.ReadAll(pipe.Reader));
        await pipe.Writer.WriteAsync(Enumerable.Repeat((byte)'x', 200_000).ToArray());
        pipe.WriteEnd.Dispose();
        Assert.Equal(200_000, (await reader).Length);
    }
}
