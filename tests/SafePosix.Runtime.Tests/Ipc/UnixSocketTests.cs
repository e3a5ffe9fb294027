using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;
using SafePosix.Ipc;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

public sealed class UnixSocketTests
{
    [Fact]
    public async Task SixtyFourMebibytesReachAnotherProcessIntact()
    {
        var path = TestData.TempPath("s");
        try
        {
            using var listener = UnixSocket.Listen(path);
            using var child = Peer.Start("hash-socket", path);
            var stdout = TestData.ReadAllAsync(child.StandardOutput!);
            var stderr = TestData.ReadAllAsync(child.StandardError!);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var connection = await listener.AcceptAsync())
            {
                var random = new Random(3);
                var chunk = new byte[1 << 20];
                for (var i = 0; i < 64; i++)
                {
                    random.NextBytes(chunk);
                    sha.AppendData(chunk);
                    var span = chunk.AsMemory();
                    while (!span.IsEmpty)
                    {
                        span = span[await connection.SendAsync(span)..]; // partial sends finished by the loop
                    }
                }
            }

            Assert.True(child.WaitForExit().Succeeded, await stderr);
            Assert.Equal((64 << 20) + " " + Convert.ToHexString(sha.GetHashAndReset()), (await stdout).Trim());
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public async Task SixMebibytesBothWaysAtOnceDoNotDeadlock()
    {
        const long size = 6 << 20;
        var path = TestData.TempPath("s");
        try
        {
            using var listener = UnixSocket.Listen(path);
            using var child = Peer.Start("both-ways", path, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var stdout = TestData.ReadAllAsync(child.StandardOutput!);
            var stderr = TestData.ReadAllAsync(child.StandardError!);
            using var connection = await listener.AcceptAsync();
            var ours = Seeded(1, size);
            var theirs = Seeded(2, size);
            var send = Task.Run(() =>
            {
                var span = ours.AsSpan();
                while (!span.IsEmpty)
                {
                    span = span[connection.Send(span)..];
                }

                connection.Shutdown(SocketShutdown.Send);
            });
            var received = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await connection.ReceiveAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
            }

            await send.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(child.WaitForExit().Succeeded, await stderr);
            Assert.Equal(size + " " + TestData.Hash(ours), (await stdout).Trim());
            Assert.Equal(TestData.Hash(theirs), TestData.Hash(received.ToArray()));
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    /// <summary>The bytes the peer's both-ways command sends for <paramref name="seed"/>.</summary>
    private static byte[] Seeded(int seed, long size)
    {
        var random = new Random(seed);
        var data = new byte[size];
        for (var offset = 0; offset < data.Length; offset += 100_003)
        {
            random.NextBytes(data.AsSpan(offset, (int)Math.Min(100_003, data.Length - offset)));
        }

        return data;
    }

    [Fact]
    public async Task DescriptorsPassedToAnotherProcessAreUsedThereAndArriveCloseOnExec()
    {
        var path = TestData.TempPath("s");
        var file = path + ".txt";
        try
        {
            using var listener = UnixSocket.Listen(path);
            using var child = Peer.Start("use-fds", path);
            var stdout = TestData.ReadAllAsync(child.StandardOutput!);
            var stderr = TestData.ReadAllAsync(child.StandardError!);
            using var connection = await listener.AcceptAsync();

            var credentials = connection.GetPeerCredentials();
            Assert.Equal(child.Id, credentials.ProcessId);
            Assert.Equal(Interop.Libc.geteuid(), credentials.UserId);

            using var pipe = AnonymousPipe.Create();
            using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
            {
                connection.SendDescriptors("two"u8, pipe.WriteEnd, stream.SafeFileHandle);
            }

            pipe.WriteEnd.Dispose();
            Assert.Equal(1, connection.Receive(new byte[1]));
            var line = "written by " + child.Id + "\n";
            Assert.Equal(line, TestData.ReadAll(pipe.Reader));
            Assert.Equal(line, File.ReadAllText(file));
            Assert.True(child.WaitForExit().Succeeded, await stderr);
            Assert.Equal("two 2 2", (await stdout).Trim()); // two descriptors, both close-on-exec
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void SeveralDescriptorsTravelInOneMessage()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        {
            var pipes = Enumerable.Range(0, 3).Select(_ => AnonymousPipe.Create()).ToArray();
            try
            {
                a.SendDescriptors("xyz"u8, pipes.Select(p => (System.Runtime.InteropServices.SafeHandle)p.WriteEnd).ToArray());
                var buffer = new byte[16];
                var (bytes, fds) = b.ReceiveDescriptors(buffer, maxDescriptors: 8);
                Assert.Equal(3, bytes);
                Assert.Equal(3, fds.Length);
                for (var i = 0; i < 3; i++)
                {
                    Assert.True(TestData.IsCloseOnExec(fds[i].DangerousGetDescriptor()));
                    using (var stream = new DescriptorStream(fds[i], FileAccess.Write, ownsDescriptor: true))
                    {
                        stream.Write(new[] { (byte)('0' + i) });
                    }

                    pipes[i].WriteEnd.Dispose();
                    Assert.Equal(((char)('0' + i)).ToString(), TestData.ReadAll(pipes[i].Reader));
                }
            }
            finally
            {
                foreach (var pipe in pipes)
                {
                    pipe.Dispose();
                }
            }
        }
    }

    [Fact]
    public async Task DescriptorsAreReceivedAsynchronouslyAndTheWaitCanBeCancelled()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (var pipe = AnonymousPipe.Create())
        {
            var buffer = new byte[8];
            var pending = b.ReceiveDescriptorsAsync(buffer, 2).AsTask();
            await Task.Delay(100);
            Assert.False(pending.IsCompleted); // waiting on the socket engine, not failing with EAGAIN
            a.SendDescriptors("p"u8, pipe.WriteEnd);
            var (bytes, fds) = await pending.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(1, bytes);
            using (var stream = new DescriptorStream(Assert.Single(fds), FileAccess.Write, ownsDescriptor: true))
            {
                stream.Write("via async"u8);
            }

            pipe.WriteEnd.Dispose();
            Assert.Equal("via async", TestData.ReadAll(pipe.Reader));

            using var cancel = new System.Threading.CancellationTokenSource(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveDescriptorsAsync(buffer, 2, cancel.Token));
        }
    }

    [Fact]
    public void EndOfStreamIsZeroBytesAndNoDescriptors()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (b)
        {
            a.Dispose();
            var (bytes, fds) = b.ReceiveDescriptors(new byte[4], 2);
            Assert.Equal(0, bytes);
            Assert.Empty(fds);
        }
    }

    [Fact]
    public void ASocketPairHasPeerCredentialsOfThisProcess()
    {
        var (a, b) = UnixSocket.CreatePair(SocketType.Seqpacket);
        using (a)
        using (b)
        {
            Assert.Equal(Environment.ProcessId, a.GetPeerCredentials().ProcessId);
            Assert.True(TestData.IsCloseOnExec((int)a.Handle));
        }
    }

    [Fact]
    public async Task AStaleSocketFileIsReplacedButALiveServerIsRefused()
    {
        var path = TestData.TempPath("s");
        try
        {
            using var server = Peer.Start("listen", path);
            var ready = await new StreamReader(server.StandardOutput!).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("ready", ready);

            var live = Assert.Throws<PosixException>(() => UnixSocket.Listen(path));
            Assert.Equal("EADDRINUSE", live.ErrorName);
            Assert.True(File.Exists(path));

            server.Kill(Signal.SIGKILL);
            server.WaitForExit();
            Assert.True(File.Exists(path)); // the killed server left its socket file behind

            using var listener = UnixSocket.Listen(path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            using var client = UnixSocket.Connect(path);
            using var accepted = listener.Accept();
            Assert.Equal(Environment.ProcessId, accepted.GetPeerCredentials().ProcessId);
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void AFileThatIsNotASocketIsNeverRemoved()
    {
        var path = TestData.TempPath("s");
        try
        {
            File.WriteAllText(path, "data");
            Assert.Equal("EEXIST", Assert.Throws<PosixException>(() => UnixSocket.Listen(path)).ErrorName);
            Assert.Equal("data", File.ReadAllText(path));
        }
        finally
        {
            TestData.RemoveTempDirectoryOf(path);
        }
    }

    [Fact]
    public void AbstractAddressesConnectAndATakenNameIsRefused()
    {
        var name = "safeposix-test-" + Guid.NewGuid().ToString("N");
        using var listener = UnixSocket.ListenAbstract(name);
        Assert.Equal("EADDRINUSE", Assert.Throws<PosixException>(() => UnixSocket.ListenAbstract(name)).ErrorName);
        using var client = UnixSocket.ConnectAbstract(name);
        using var accepted = listener.Accept();
        client.Send("hi"u8);
        var buffer = new byte[2];
        Assert.Equal(2, accepted.Receive(buffer));
        Assert.Equal("ECONNREFUSED", Assert.Throws<PosixException>(() => UnixSocket.ConnectAbstract(name + "-nobody")).ErrorName);
    }
}
