using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace SafePosix.Runtime.Tests.Ipc;

/// <summary>Tests that create SysV queues or /dev/shm objects run alone, so a before/after diff sees only their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IpcObjectsCollection
{
    public const string Name = "IPC objects: diffs ipcs and /dev/shm";
}

/// <summary>The SysV message queues and POSIX shared memory objects that exist right now.</summary>
internal sealed record IpcSnapshot(HashSet<string> Queues, HashSet<string> SharedMemory)
{
    internal static IpcSnapshot Take()
    {
        // /proc/sysvipc/msg is what `ipcs -q` prints: key, msqid, perms ... one queue per line after the header.
        var queues = File.ReadAllLines("/proc/sysvipc/msg").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 1)
            .Select(fields => fields[1])
            .ToHashSet();
        var shm = Directory.EnumerateFileSystemEntries("/dev/shm").Select(Path.GetFileName).OfType<string>().ToHashSet();
        return new IpcSnapshot(queues, shm);
    }

    internal void AssertNothingNew()
    {
        var now = Take();
        Assert.Empty(now.Queues.Except(Queues));
        Assert.Empty(now.SharedMemory.Except(SharedMemory));
    }
}

internal static class Peer
{
    /// <summary>The peer program sits next to the runtime probe, built by the same test build.</summary>
    internal static string Path => Proc.ProbePath.Replace("SafePosix.Runtime.Probe", "SafePosix.Ipc.Peer", StringComparison.Ordinal);

    internal static SpawnOptions Options(params string[] arguments)
    {
        var options = new SpawnOptions(Proc.DotnetHost, new[] { Path }.Concat(arguments).ToArray());
        return options;
    }

    /// <summary>Runs the peer to completion and returns its one result line; fails the test on a non-zero exit.</summary>
    internal static string Run(SpawnOptions options, TimeSpan? timeout = null)
    {
        var (status, stdout, stderr) = Proc.Run(options, timeout ?? TimeSpan.FromSeconds(120));
        Assert.True(status.Succeeded, "peer " + string.Join(' ', options.Arguments) + ": " + status + "\n" + stderr);
        return stdout.Trim();
    }

    internal static ChildProcess Start(params string[] arguments)
    {
        var options = Options(arguments);
        options.StandardOutput = ChildStdio.Pipe;
        options.StandardError = ChildStdio.Pipe;
        return ChildProcess.Start(options);
    }
}

internal static class TestData
{
    internal static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));

    internal static string TempPath(string name)
    {
        var dir = Proc.NewTempDirectory();
        return System.IO.Path.Combine(dir, name);
    }

    internal static void RemoveTempDirectoryOf(string path)
    {
        try
        {
            Directory.Delete(System.IO.Path.GetDirectoryName(path)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static string ReadAll(Stream stream) => new StreamReader(stream, Encoding.UTF8).ReadToEnd();

    internal static System.Threading.Tasks.Task<string> ReadAllAsync(Stream stream) => new StreamReader(stream, Encoding.UTF8).ReadToEndAsync();

    /// <summary>Reads the close-on-exec bit of one of our descriptors from /proc/self/fdinfo (flags, in octal).</summary>
    internal static bool IsCloseOnExec(int fd)
    {
        var line = File.ReadAllLines("/proc/self/fdinfo/" + fd).First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return (Convert.ToInt32(line[6..].Trim(), 8) & 0x80000) != 0;
    }
}

