using System;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using SafePosix;
using SafePosix.Ipc;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Each command prints one result line on stdout; a failure is an exception (exit code != 0, trace on stderr).
return args[0] switch
{
    "hash-stdin" => HashStdin(),
    "hash-socket" => HashSocket(args[1]),
    "both-ways" => BothWays(args[1], long.Parse(args[2], CultureInfo.InvariantCulture)),
    "use-fds" => UseDescriptors(args[1]),
    "listen" => ListenForever(args[1]),
    "connect-wait" => ConnectAndWait(args[1]),
    "shm-write" => ShmWrite(SharedMemory.Open(args[1])),
    "memfd-write" => ShmWrite(SharedMemory.FromDescriptor(new SafeFileDescriptor(int.Parse(args[1], CultureInfo.InvariantCulture), ownsHandle: true))),
    "ring-produce" => RingProduce(args[1], long.Parse(args[2], CultureInfo.InvariantCulture)),
    "mq-send" => QueueSend(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture)),
    _ => throw new ArgumentException("unknown command " + args[0]),
};

static int HashStdin()
{
    using var stdin = new DescriptorStream(new SafeFileDescriptor(0, ownsHandle: false), FileAccess.Read);
    Report(stdin);
    return 0;
}

static int HashSocket(string path)
{
    using var socket = UnixSocket.Connect(path);
    using var stream = new NetworkStream(socket);
    Report(stream);
    return 0;
}

static void Report(Stream stream)
{
    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    var buffer = new byte[1 << 16];
    long total = 0;
    int n;
    while ((n = stream.Read(buffer)) > 0)
    {
        sha.AppendData(buffer, 0, n);
        total += n;
    }

    Console.WriteLine(total.ToString(CultureInfo.InvariantCulture) + " " + Convert.ToHexString(sha.GetHashAndReset()));
}

// Sends `bytes` of seeded data while it reads the same amount: a deadlock here means one side's writes block while
// the other side's do too.
static int BothWays(string path, long bytes)
{
    using var socket = UnixSocket.Connect(path);
    var sender = Task.Run(() =>
    {
        var random = new Random(2);
        var chunk = new byte[100_003];
        for (long sent = 0; sent < bytes;)
        {
            var n = (int)Math.Min(chunk.Length, bytes - sent);
            random.NextBytes(chunk.AsSpan(0, n));
            var span = chunk.AsSpan(0, n);
            while (!span.IsEmpty)
            {
                span = span[socket.Send(span)..];
            }

            sent += n;
        }

        socket.Shutdown(SocketShutdown.Send);
    });
    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    var buffer = new byte[1 << 16];
    long total = 0;
    int read;
    while ((read = socket.Receive(buffer)) > 0)
    {
        sha.AppendData(buffer, 0, read);
        total += read;
    }

    sender.Wait();
    Console.WriteLine(total.ToString(CultureInfo.InvariantCulture) + " " + Convert.ToHexString(sha.GetHashAndReset()));
    return 0;
}

// Receives descriptors, writes a line into each one, reports how many it got and whether they were close-on-exec.
static int UseDescriptors(string path)
{
    using var socket = UnixSocket.Connect(path);
    var buffer = new byte[64];
    var (bytes, fds) = socket.ReceiveDescriptors(buffer, maxDescriptors: 8);
    var closeOnExec = 0;
    foreach (var fd in fds)
    {
        if (IsCloseOnExec(fd))
        {
            closeOnExec++;
        }

        using var stream = new DescriptorStream(fd, FileAccess.Write, ownsDescriptor: true);
        stream.Write(Encoding.ASCII.GetBytes("written by " + Environment.ProcessId + "\n"));
    }

    socket.Send("k"u8);
    Console.WriteLine(Encoding.ASCII.GetString(buffer, 0, bytes) + " " + fds.Length + " " + closeOnExec);
    return 0;
}

static bool IsCloseOnExec(SafeFileDescriptor fd)
{
    var flags = File.ReadAllText("/proc/self/fdinfo/" + fd.DangerousGetDescriptor());
    foreach (var line in flags.Split('\n'))
    {
        if (line.StartsWith("flags:", StringComparison.Ordinal))
        {
            var octal = Convert.ToInt32(line[6..].Trim(), 8);
            return (octal & 0x80000) != 0; // O_CLOEXEC as fdinfo shows it
        }
    }

    return false;
}

static int ListenForever(string path)
{
    using var listener = UnixSocket.Listen(path);
    Console.WriteLine("ready");
    while (true)
    {
        listener.Accept().Dispose();
    }
}

static int ConnectAndWait(string path)
{
    using var socket = UnixSocket.Connect(path);
    socket.Send("x"u8);
    socket.Receive(new byte[1]); // until the parent closes
    return 0;
}

// Fills the whole object with (i * 31 + 7) & 0xFF and prints its size.
static int ShmWrite(SharedMemory memory)
{
    using (memory)
    using (var region = memory.Map())
    {
        var span = region.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (byte)(i * 31 + 7);
        }

        region.Flush();
        Console.WriteLine(memory.Size.ToString(CultureInfo.InvariantCulture));
    }

    return 0;
}

// Message i is i (8 bytes) followed by i % 9 filler bytes; then Complete.
static int RingProduce(string name, long count)
{
    using var ring = SharedRing.Open(name);
    Span<byte> message = stackalloc byte[8 + 8];
    for (long i = 0; i < count; i++)
    {
        BitConverter.TryWriteBytes(message, i);
        ring.Write(message[..(8 + (int)(i % 9))]);
    }

    ring.Complete();
    Console.WriteLine(count.ToString(CultureInfo.InvariantCulture));
    return 0;
}

// Message i has type 1 + i % 3 and carries i followed by i % 50 copies of (byte)i.
static int QueueSend(int id, int count)
{
    using var queue = MessageQueue.Attach(id);
    var message = new byte[4 + 50];
    for (var i = 0; i < count; i++)
    {
        BitConverter.TryWriteBytes(message, i);
        message.AsSpan(4, i % 50).Fill((byte)i);
        queue.Send(1 + (i % 3), message.AsSpan(0, 4 + (i % 50)));
    }

    Console.WriteLine(count.ToString(CultureInfo.InvariantCulture));
    return 0;
}
