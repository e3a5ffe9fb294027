using System;
using System.IO;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

public sealed class FileTransferTests
{
    private static readonly long[] MarkerOffsets = { 0, 4095, 1 << 20, (1L << 29) + 12345 };

    /// <summary>A sparse file of <paramref name="size"/> bytes: zeros (holes) except a few marker bytes.</summary>
    private static string CreateSparseFile(long size)
    {
        var path = TestData.TempPath("sparse");
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(size);
        foreach (var offset in MarkerOffsets)
        {
            if (offset < size - 8)
            {
                file.Position = offset;
                file.Write(BitConverter.GetBytes(offset ^ 0x5A5A5A5A5A5AL));
            }
        }

        file.Position = size - 8;
        file.Write("THE END!"u8);
        return path;
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return HashStream(stream);
    }

    private static string HashStream(Stream stream)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    [Fact]
    public async Task ASparseFileGoesToASocketComplete()
    {
        var size = IpcSizes.SendFileBytes;
        var path = CreateSparseFile(size);
        try
        {
            var expected = HashFile(path);
            var (sender, receiver) = UnixSocket.CreatePair();
            using (receiver)
            {
                var hash = Task.Run(() =>
                {
                    using var stream = new NetworkStream(receiver);
                    return HashStream(stream);
                });
                long moved;
                TransferMethod method;
                using (sender)
                using (var source = File.OpenHandle(path))
                {
                    moved = FileTransfer.SendFile(source, sender.SafeHandle, 0, -1, out method);
                }

                Assert.Equal(size, moved);
                Assert.Equal(TransferMethod.SendFile, method);
                Assert.Equal(expected, await hash);
            }
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void ASparseFileGoesToAFileComplete()
    {
        var size = IpcSizes.SendFileBytes;
        var path = CreateSparseFile(size);
        try
        {
            var copy = path + ".copy";
            using (var source = File.OpenHandle(path))
            using (var destination = File.OpenHandle(copy, FileMode.CreateNew, FileAccess.Write))
            {
                Assert.Equal(size, FileTransfer.SendFile(source, destination));
            }

            Assert.Equal(HashFile(path), HashFile(copy));
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public async Task ANonBlockingSocketWithASlowReaderIsWaitedOnNotFailed()
    {
        var path = CreateSparseFile(8 << 20);
        try
        {
            var (sender, receiver) = UnixSocket.CreatePair();
            using (receiver)
            {
                sender.Blocking = false;
                sender.SendBufferSize = 4096;
                var reader = Task.Run(() =>
                {
                    var buffer = new byte[1000];
                    long total = 0;
                    int n;
                    while ((n = receiver.Receive(buffer)) > 0)
                    {
                        total += n;
                    }

                    return total;
                });
                using (sender)
                using (var source = File.OpenHandle(path))
                {
                    Assert.Equal(8 << 20, FileTransfer.SendFile(source, sender));
                }

                Assert.Equal(8 << 20, await reader);
            }
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void WhereTheKernelRefusesSendfileTheCopyFallsBack()
    {
        // sendfile refuses a destination opened with O_APPEND (EINVAL) and copy_file_range does too (EBADF).
        var path = CreateSparseFile(3 << 20);
        try
        {
            var copy = path + ".copy";
            File.WriteAllText(copy, "head:");
            using (var source = File.OpenHandle(path))
            // FileMode.Append only seeks to the end; O_APPEND itself is what sendfile refuses.
            using (var destination = SafeFileDescriptor.Open(copy, Interop.Libc.O_WRONLY | Interop.Libc.O_APPEND, 0))
            {
                Assert.Equal(3 << 20, FileTransfer.SendFile(source, destination, 0, -1, out var method));
                Assert.Equal(TransferMethod.ReadWrite, method);
            }

            var expected = "head:"u8.ToArray();
            var whole = new byte[expected.Length + (3 << 20)];
            expected.CopyTo(whole, 0);
            File.ReadAllBytes(path).CopyTo(whole, expected.Length);
            Assert.Equal(TestData.Hash(whole), HashFile(copy));
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public async Task APipeSourceIsCopiedToTheEnd()
    {
        using var pipe = AnonymousPipe.Create();
        var (sender, receiver) = UnixSocket.CreatePair();
        using (receiver)
        {
            var feed = Task.Run(() =>
            {
                pipe.Writer.Write(new byte[300_000]);
                pipe.WriteEnd.Dispose();
            });
            var drain = Task.Run(() =>
            {
                using var stream = new NetworkStream(receiver);
                return TestData.ReadAll(stream).Length;
            });
            using (sender)
            {
                Assert.Equal(300_000, FileTransfer.SendFile(pipe.ReadEnd, sender.SafeHandle, 0, -1, out var method));
                Assert.Equal(TransferMethod.ReadWrite, method);
                Assert.Throws<ArgumentOutOfRangeException>(() => FileTransfer.SendFile(pipe.ReadEnd, sender, offset: 5));
            }

            await feed.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(300_000, await drain.WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void ARangeIsCopiedAndAShortSourceReportsWhatItHad()
    {
        var path = TestData.TempPath("src");
        try
        {
            File.WriteAllText(path, "0123456789");
            var (sender, receiver) = UnixSocket.CreatePair();
            using (sender)
            using (receiver)
            using (var source = File.OpenHandle(path))
            {
                Assert.Equal(4, FileTransfer.SendFile(source, sender, offset: 3, count: 4));
                Assert.Equal(3, FileTransfer.SendFile(source, sender, offset: 7, count: 100));
                Assert.Equal(0, FileTransfer.SendFile(source, sender, offset: 50));
                var buffer = new byte[16];
                Assert.Equal(7, receiver.Receive(buffer));
                Assert.Equal("3456789", System.Text.Encoding.ASCII.GetString(buffer, 0, 7));
            }
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }
}

/// <summary>Sizes: the full ones with SAFEPOSIX_IPC_LONG=1 (bench/Ipc/long-run.sh), smaller ones in CI.</summary>
internal static class IpcSizes
{
    internal static bool Long => Environment.GetEnvironmentVariable("SAFEPOSIX_IPC_LONG") == "1";

    internal static long SendFileBytes => Long ? 1L << 30 : 256L << 20;

    internal static int QueueMessages => 100_000;

    internal static long RingMessages => 10_000_000;

    internal static int Signals => Long ? 100_000 : 10_000;
}
