using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.IO.Pipes;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using SafePosix;
using SafePosix.Ipc;

[assembly: SupportedOSPlatform("linux")]

// Usage: SafePosix.Bench.Ipc [rounds]            the whole table
//        SafePosix.Bench.Ipc ring-producer NAME COUNT   (internal: the other process of the ring benchmark)
if (args.Length > 0 && args[0] == "ring-producer")
{
    return Bench.RingProducer(args[1], long.Parse(args[2], CultureInfo.InvariantCulture));
}

var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
return Bench.Run(rounds);

internal static class Bench
{
    private const int StreamBytes = 256 << 20;
    private const int Chunk = 64 << 10;
    private const long RingMessages = 5_000_000;
    private static readonly string Work = Path.Combine(Path.GetTempPath(), "safeposix-bench-" + Environment.ProcessId);

    // Each pair is measured in rounds; in every round both contenders run once, in alternating order, so load changes
    // on the shared machine hit both alike. The table shows each contender's median round and the ratio of medians.
    internal static int Run(int rounds)
    {
        Directory.CreateDirectory(Work);
        try
        {
            var file = Path.Combine(Work, "data");
            using (var stream = new FileStream(file, FileMode.Create))
            {
                var block = new byte[1 << 20];
                new Random(1).NextBytes(block);
                for (var i = 0; i < StreamBytes / block.Length; i++)
                {
                    stream.Write(block);
                }
            }

            Console.WriteLine("| benchmark | SafePosix | BCL | SafePosix / BCL |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            Pair("pipe, 256 MiB in 64 KiB writes (MB/s)", rounds, Mbps(StreamBytes), PipeSafePosix, PipeBcl);
            Pair("unix socket stream, 256 MiB (MB/s): DescriptorStream vs NetworkStream on Socket defaults", rounds, Mbps(StreamBytes), SocketSafePosix, SocketBcl);
            Pair("file to unix socket, 256 MiB (MB/s): SendFile vs FileStream.CopyTo(NetworkStream)", rounds, Mbps(StreamBytes), () => SendFileToSocket(file), () => CopyToSocket(file));
            Pair("file to file, 256 MiB (MB/s): SendFile vs FileStream.CopyTo", rounds, Mbps(StreamBytes), () => SendFileToFile(file), () => CopyToFile(file));
            Pair("read a mapped 256 MiB file as longs (MB/s): MappedRegion span vs MemoryMappedViewAccessor.ReadInt64", rounds, Mbps(StreamBytes), () => SumMapped(file), () => SumMemoryMappedFile(file));
            Pair("map + unmap 64 KiB of a file (maps/s): MappedRegion.Map vs MemoryMappedFile.CreateFromFile + view", rounds, PerSecond(2000), () => MapCycles(file, 2000), () => MemoryMappedFileCycles(file, 2000));
            Console.WriteLine();
            if (Environment.GetEnvironmentVariable("BENCH_ONLY") is not { Length: > 0 })
            {
                RingTable(rounds);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(Work, recursive: true);
        }
    }

    private static Func<double, double> Mbps(long bytes) => seconds => bytes / seconds / 1e6;

    private static Func<double, double> PerSecond(long count) => seconds => count / seconds;

    private static void Pair(string name, int rounds, Func<double, double> rate, Action ours, Action theirs)
    {
        if (Environment.GetEnvironmentVariable("BENCH_ONLY") is { Length: > 0 } only && !name.StartsWith(only, StringComparison.Ordinal))
        {
            return;
        }

        ours();
        theirs(); // warm-up: JIT, page cache
        var a = new List<double>();
        var b = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                a.Add(Time(ours));
                b.Add(Time(theirs));
            }
            else
            {
                b.Add(Time(theirs));
                a.Add(Time(ours));
            }
        }

        var ra = rate(Median(a));
        var rb = rate(Median(b));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ra:N0} | {rb:N0} | {ra / rb:0.00} |"));
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    private static void Pump(Stream writer, Stream reader, Action closeWriter)
    {
        var consumer = Task.Run(() =>
        {
            var buffer = new byte[Chunk];
            long total = 0;
            int n;
            while ((n = reader.Read(buffer)) > 0)
            {
                total += n;
            }

            return total;
        });
        var chunk = new byte[Chunk];
        for (var sent = 0; sent < StreamBytes; sent += Chunk)
        {
            writer.Write(chunk);
        }

        closeWriter();
        if (consumer.GetAwaiter().GetResult() != StreamBytes)
        {
            throw new InvalidOperationException("bytes lost");
        }
    }

    private static void PipeSafePosix()
    {
        using var pipe = AnonymousPipe.Create();
        Pump(pipe.Writer, pipe.Reader, pipe.WriteEnd.Dispose);
    }

    private static void PipeBcl()
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        Pump(server, client, server.Dispose);
    }

    private static void SocketSafePosix()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (var writer = new DescriptorStream(a.SafeHandle, FileAccess.Write))
        using (var reader = new DescriptorStream(b.SafeHandle, FileAccess.Read))
        {
            Pump(writer, reader, () => a.Shutdown(SocketShutdown.Send));
        }
    }

    private static void SocketBcl()
    {
        var path = Path.Combine(Work, "bcl.sock");
        File.Delete(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        using var server = listener.Accept();
        using var writer = new NetworkStream(client);
        using var reader = new NetworkStream(server);
        Pump(writer, reader, () => client.Shutdown(SocketShutdown.Send));
    }

    private static Task<long> Drain(Socket socket) => Task.Run(() =>
    {
        var buffer = new byte[Chunk];
        long total = 0;
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            total += n;
        }

        return total;
    });

    private static void SendFileToSocket(string file)
    {
        var (a, b) = UnixSocket.CreatePair();
        using (b)
        {
            var drain = Drain(b);
            using (a)
            using (var source = File.OpenHandle(file))
            {
                FileTransfer.SendFile(source, a);
            }

            Check(drain.GetAwaiter().GetResult());
        }
    }

    private static void CopyToSocket(string file)
    {
        var (a, b) = UnixSocket.CreatePair();
        using (b)
        {
            var drain = Drain(b);
            using (a)
            using (var source = new FileStream(file, FileMode.Open, FileAccess.Read))
            using (var destination = new NetworkStream(a))
            {
                source.CopyTo(destination);
            }

            Check(drain.GetAwaiter().GetResult());
        }
    }

    private static void SendFileToFile(string file)
    {
        var copy = Path.Combine(Work, "copy");
        File.Delete(copy);
        using var source = File.OpenHandle(file);
        using var destination = File.OpenHandle(copy, FileMode.CreateNew, FileAccess.Write);
        Check(FileTransfer.SendFile(source, destination));
    }

    private static void CopyToFile(string file)
    {
        var copy = Path.Combine(Work, "copy");
        File.Delete(copy);
        using var source = new FileStream(file, FileMode.Open, FileAccess.Read);
        using var destination = new FileStream(copy, FileMode.CreateNew, FileAccess.Write);
        source.CopyTo(destination);
    }

    private static void Check(long bytes)
    {
        if (bytes != StreamBytes)
        {
            throw new InvalidOperationException("moved " + bytes);
        }
    }

    private static long sink;

    private static void SumMapped(string file)
    {
        using var handle = File.OpenHandle(file);
        using var region = MappedRegion.Map(handle, 0, StreamBytes, MapAccess.Read);
        long sum = 0;
        for (long offset = 0; offset < StreamBytes; offset += 1 << 30)
        {
            var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(region.GetSpan(offset, (int)Math.Min(1 << 30, StreamBytes - offset)));
            foreach (var value in longs)
            {
                sum += value;
            }
        }

        sink += sum;
    }

    private static void SumMemoryMappedFile(string file)
    {
        using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, StreamBytes, MemoryMappedFileAccess.Read);
        long sum = 0;
        for (long offset = 0; offset < StreamBytes; offset += 8)
        {
            sum += view.ReadInt64(offset);
        }

        sink += sum;
    }

    private static void MapCycles(string file, int count)
    {
        using var handle = File.OpenHandle(file);
        for (var i = 0; i < count; i++)
        {
            using var region = MappedRegion.Map(handle, 4096L * (i % 1000) + 17, 64 << 10, MapAccess.Read);
            sink += region.Span[100];
        }
    }

    private static void MemoryMappedFileCycles(string file, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = map.CreateViewAccessor(4096L * (i % 1000) + 17, 64 << 10, MemoryMappedFileAccess.Read);
            sink += view.ReadByte(100);
        }
    }

    private static void RingTable(int rounds)
    {
        Console.WriteLine("| SharedRing, 8-byte messages, 1 MiB ring | messages/s | ns per message (write + read) |");
        Console.WriteLine("| --- | ---: | ---: |");
        var threads = new List<double>();
        var processes = new List<double>();
        RingThreads(200_000);
        for (var round = 0; round < Math.Max(3, rounds / 2); round++)
        {
            threads.Add(RingThreads(RingMessages));
            processes.Add(RingProcesses(RingMessages));
        }

        foreach (var (label, seconds) in new[] { ("two threads", Median(threads)), ("two processes", Median(processes)) })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {RingMessages / seconds:N0} | {seconds * 1e9 / RingMessages:0.0} |"));
        }
    }

    private static double RingThreads(long count)
    {
        using var writer = SharedRing.CreateAnonymous(1 << 20);
        var fd = Interop.Dup(writer.Descriptor);
        using var reader = SharedRing.Attach(fd);
        var clock = Stopwatch.StartNew();
        var producer = Task.Run(() => Produce(writer, count));
        Consume(reader, count);
        producer.GetAwaiter().GetResult();
        return clock.Elapsed.TotalSeconds;
    }

    private static double RingProcesses(long count)
    {
        var name = "safeposix-bench-ring-" + Environment.ProcessId;
        using var ring = SharedRing.Create(name, 1 << 20);
        var self = Environment.ProcessPath!;
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            arguments.Add(typeof(Bench).Assembly.Location);
        }

        arguments.AddRange(new[] { "ring-producer", name, count.ToString(CultureInfo.InvariantCulture) });
        using var child = ChildProcess.Start(new SpawnOptions(self, arguments.ToArray()) { StandardOutput = ChildStdio.Pipe });
        using var output = new StreamReader(child.StandardOutput!);
        // The producer reports its own start so process start-up is not timed: it waits for a first message from us.
        var buffer = new byte[64];
        while (ring.Read(buffer) != 0)
        {
        }

        var clock = Stopwatch.StartNew();
        Consume(ring, count);
        var seconds = clock.Elapsed.TotalSeconds;
        if (!child.WaitForExit().Succeeded)
        {
            throw new InvalidOperationException("producer failed");
        }

        return seconds;
    }

    internal static int RingProducer(string name, long count)
    {
        using var ring = SharedRing.Open(name);
        ring.Write(ReadOnlySpan<byte>.Empty); // "started": the consumer times from here
        Produce(ring, count);
        return 0;
    }

    private static void Produce(SharedRing ring, long count)
    {
        Span<byte> message = stackalloc byte[8];
        for (long i = 0; i < count; i++)
        {
            BitConverter.TryWriteBytes(message, i);
            ring.Write(message);
        }
    }

    private static void Consume(SharedRing ring, long count)
    {
        Span<byte> buffer = stackalloc byte[64];
        for (long i = 0; i < count; i++)
        {
            if (ring.Read(buffer) != 8 || BitConverter.ToInt64(buffer) != i)
            {
                throw new InvalidOperationException("message " + i + " lost");
            }
        }
    }
}

internal static partial class Interop
{
    internal static SafeFileDescriptor Dup(SafeFileDescriptor descriptor)
    {
        var fd = fcntl(descriptor.DangerousGetDescriptor(), 1030 /* F_DUPFD_CLOEXEC */, 3);
        return fd >= 0 ? new SafeFileDescriptor(fd, ownsHandle: true) : throw new PosixException("fcntl", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);
}
