using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace SafePosix.Runtime.Tests;

/// <summary>Tests that count zombies or descriptors must not see other tests' children and pipes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial: counts process-wide resources";
}

internal static partial class Proc
{
    internal static int SelfPid => Environment.ProcessId;

    /// <summary>Pids in state Z whose parent is <paramref name="parent"/>, from /proc/*/stat.</summary>
    internal static List<int> ZombieChildrenOf(int parent)
    {
        var zombies = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            var stat = TryReadStat(pid);
            if (stat is { } s && s.State == 'Z' && s.ParentPid == parent)
            {
                zombies.Add(pid);
            }
        }

        return zombies;
    }

    internal readonly record struct Stat(char State, int ParentPid, int ProcessGroup, int Session);

    internal static Stat? TryReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText("/proc/" + pid + "/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) S ppid pgrp session ...": comm may contain spaces and parentheses, so split after the last ')'.
        var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new Stat(rest[0][0], Parse(rest[1]), Parse(rest[2]), Parse(rest[3]));
    }

    /// <summary>
    /// Fails when a descriptor is open now that was not before (same number and target). Counting instead breaks
    /// whenever a finalizer or a background completion of an earlier test closes one in between: fewer is no leak.
    /// </summary>
    internal static void AssertNoNewDescriptors(Dictionary<int, string> before)
    {
        var added = OpenDescriptors()
            .Where(kv => (!before.TryGetValue(kv.Key, out var target) || target != kv.Value) && !kv.Value.StartsWith("/proc/", StringComparison.Ordinal))
            .Select(kv => kv.Key + " -> " + kv.Value)
            .ToList();
        Xunit.Assert.True(added.Count == 0, "new descriptors: " + string.Join(", ", added));
    }

    /// <summary>Our open descriptors with what they point to.</summary>
    internal static Dictionary<int, string> OpenDescriptors()
    {
        var result = new Dictionary<int, string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            var fd = Parse(Path.GetFileName(entry));
            try
            {
                result[fd] = new FileInfo(entry).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // The enumeration's own directory descriptor is gone by the time we read it.
            }
        }

        return result;
    }

    internal static string ProbePath =>
        typeof(Proc).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ProbePath").Value!;

    internal static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    /// <summary>Runs a program to completion with our own spawn API, returning its stdout and stderr.</summary>
    internal static (ExitStatus Status, string Out, string Err) Run(SpawnOptions options, TimeSpan? timeout = null)
    {
        options.StandardOutput = ChildStdio.Pipe;
        options.StandardError = ChildStdio.Pipe;
        using var child = ChildProcess.Start(options);
        var stdout = new StreamReader(child.StandardOutput!, Encoding.UTF8).ReadToEndAsync();
        var stderr = new StreamReader(child.StandardError!, Encoding.UTF8).ReadToEndAsync();
        if (!child.TryWaitForExit(timeout ?? TimeSpan.FromSeconds(60), out var status))
        {
            child.Kill();
            child.WaitForExit();
            Assert.Fail("child " + options.Program + " did not exit in time; stderr so far: " + (stderr.IsCompleted ? stderr.Result : "?"));
        }

        return (status, stdout.Result, stderr.Result);
    }

    internal static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "safeposix-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static int Parse(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int dup(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int kill(int pid, int signal);
}
