using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SafePosix;
using Xunit;

namespace SafePosix.Runtime.Tests;

public class ExecFailureTests
{
    [Fact]
    public void MissingProgramThrowsEnoentFromStart()
    {
        var error = Assert.Throws<PosixException>(() => ChildProcess.Start("/nonexistent/safeposix-no-such-program"));
        Assert.Equal("posix_spawn", error.FunctionName);
        Assert.Equal(2, error.ErrorNumber);
        Assert.Equal("ENOENT", error.ErrorName);
        Assert.Equal("No such file or directory", error.SystemMessage);
        Assert.Contains("ENOENT (2): No such file or directory", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/safeposix-no-such-program", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PathSearchFailureThrowsEnoentFromPosixSpawnp()
    {
        var error = Assert.Throws<PosixException>(() => ChildProcess.Start("safeposix-no-such-program-in-path"));
        Assert.Equal("posix_spawnp", error.FunctionName);
        Assert.Equal("ENOENT", error.ErrorName);
    }

    [Fact]
    public void NonExecutableFileThrowsEacces()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var script = Path.Combine(directory, "not-executable.sh");
            File.WriteAllText(script, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            // execve needs at least one execute bit even for root, so this fails for every user.
            var error = Assert.Throws<PosixException>(() => ChildProcess.Start(script));
            Assert.Equal("EACCES", error.ErrorName);
            Assert.Equal(13, error.ErrorNumber);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void MissingWorkingDirectoryThrowsFromStart()
    {
        var options = new SpawnOptions("/bin/true") { WorkingDirectory = "/nonexistent/safeposix-dir" };
        var error = Assert.Throws<PosixException>(() => ChildProcess.Start(options));
        Assert.Equal("ENOENT", error.ErrorName);
    }

    [Fact]
    public void ErrnoNamesFollowLinuxNumbering()
    {
        Assert.Equal("EPERM", new PosixException("x", 1).ErrorName);
        Assert.Equal("ECHILD", new PosixException("x", 10).ErrorName);
        Assert.Equal("EPIPE", new PosixException("x", 32).ErrorName);
        Assert.Equal("ENOSYS", new PosixException("x", 38).ErrorName);
        Assert.Equal("ETIMEDOUT", new PosixException("x", 110).ErrorName);
        Assert.Equal("EHWPOISON", new PosixException("x", 133).ErrorName);
        Assert.Equal("E?9999", new PosixException("x", 9999).ErrorName);
    }
}

public class ArgumentValidationTests
{
    [Fact]
    public void NullOrEmptyProgram()
    {
        Assert.Throws<ArgumentNullException>(() => new SpawnOptions(null!));
        Assert.Throws<ArgumentNullException>(() => ChildProcess.Start((SpawnOptions)null!));
        Assert.Throws<ArgumentException>(() => new SpawnOptions(string.Empty));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(string.Empty));
    }

    [Fact]
    public void NulCharacters()
    {
        Assert.Throws<ArgumentException>(() => new SpawnOptions("/bin/tr\0ue"));
        Assert.Throws<ArgumentException>(() => new SpawnOptions("/bin/echo", "a\0b"));
        var late = new SpawnOptions("/bin/echo");
        late.Arguments.Add("x\0");
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(late));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { WorkingDirectory = "/tmp\0" }));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { ArgumentZero = "t\0" }));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true")
        {
            Environment = new Dictionary<string, string> { ["A"] = "b\0c" },
        }));
    }

    [Fact]
    public void NullArgumentsAndBadEnvironmentNames()
    {
        Assert.Throws<ArgumentNullException>(() => new SpawnOptions("/bin/echo", (string)null!));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true")
        {
            Environment = new Dictionary<string, string> { ["A=B"] = "c" },
        }));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true")
        {
            Environment = new Dictionary<string, string> { [string.Empty] = "c" },
        }));
    }

    [Fact]
    public void BadTimeoutsAndSignals()
    {
        using var child = ChildProcess.Start("/bin/true");
        Assert.Throws<ArgumentOutOfRangeException>(() => child.TryWaitForExit(TimeSpan.FromMilliseconds(-2), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => child.TryWaitForExit(TimeSpan.FromDays(30), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => child.TryWaitForStateChange(0, TimeSpan.Zero, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => child.Kill((Signal)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => child.Kill((Signal)65));
        Assert.Throws<ArgumentOutOfRangeException>(() => PosixSignals.GetDisposition((Signal)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PosixSignals.GetDisposition(-1, Signal.SIGPIPE));
        Assert.Equal(ExitStatus.Exited(0), child.WaitForExit());
    }

    [Fact]
    public void BadDescriptorSetups()
    {
        using var devNull = new FileStream("/dev/null", FileMode.Open, FileAccess.Read);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DescriptorMapping(devNull.SafeFileHandle, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DescriptorMapping(devNull.SafeFileHandle, 5000));
        Assert.Throws<ArgumentNullException>(() => new DescriptorMapping(null!, 3));
        Assert.Throws<ArgumentNullException>(() => ChildStdio.From(null!));

        var duplicate = new SpawnOptions("/bin/true");
        duplicate.ExtraDescriptors.Add(new DescriptorMapping(devNull.SafeFileHandle, 3));
        duplicate.ExtraDescriptors.Add(new DescriptorMapping(devNull.SafeFileHandle, 3));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(duplicate));

        var closed = new SafeFileHandle(-1, ownsHandle: false);
        Assert.Throws<ArgumentException>(() => ChildStdio.From(closed));

        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { NewSession = true, ProcessGroup = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChildProcess.Start(new SpawnOptions("/bin/true") { ProcessGroup = -1 }));
    }

    [Fact]
    public void HandlesClosedAfterTheyWereGivenAreRejectedAsArguments()
    {
        var file = new FileStream("/dev/null", FileMode.Open, FileAccess.Read);
        var options = new SpawnOptions("/bin/true") { StandardOutput = ChildStdio.Pipe };
        options.ExtraDescriptors.Add(new DescriptorMapping(file.SafeFileHandle, 3));
        file.Dispose();
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(options));

        var stdin = new FileStream("/dev/null", FileMode.Open, FileAccess.Read);
        var fromClosed = new SpawnOptions("/bin/true") { StandardInput = ChildStdio.From(stdin.SafeFileHandle) };
        stdin.Dispose();
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(fromClosed));

        Assert.Throws<ArgumentException>(() => new DescriptorMapping(new SafeFileHandle(-1, ownsHandle: false), 3));
    }

    [Fact]
    public void BadDaemonOptions()
    {
        Assert.Throws<ArgumentNullException>(() => Daemon.Start(null!));
        Assert.Throws<ArgumentException>(() => Daemon.Start(new DaemonOptions { PidFilePath = "relative.pid" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Daemon.Start(new DaemonOptions { ReadinessTimeout = TimeSpan.FromSeconds(-5) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Daemon.Start(new DaemonOptions { Umask = 512 }));

        // Checked before anything is opened or spawned (the log path's directory does not even exist).
        var log = "/nonexistent/safeposix/daemon.log";
        Assert.Throws<ArgumentOutOfRangeException>(() => Daemon.Start(new DaemonOptions { LogFilePath = log, LogFileMode = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Daemon.Start(new DaemonOptions { LogFilePath = log, LogFileMode = Convert.ToInt32("4600", 8) }));
        Assert.Throws<InvalidOperationException>(() => Daemon.Enter());
    }
}

public class StdioAndEnvironmentTests
{
    [Fact]
    public async System.Threading.Tasks.Task PipesBothWays()
    {
        var options = new SpawnOptions("/bin/cat") { StandardInput = ChildStdio.Pipe, StandardOutput = ChildStdio.Pipe };
        using var child = ChildProcess.Start(options);
        Assert.Null(child.StandardError);
        var text = "line one\nline two ✓\n";
        var reading = new StreamReader(child.StandardOutput!).ReadToEndAsync();
        using (var writer = new StreamWriter(child.StandardInput!, new UTF8Encoding(false)))
        {
            writer.Write(text);
        }

        Assert.Equal(text, await reading);
        Assert.True(child.WaitForExit().Succeeded);
    }

    [Fact]
    public void NullStdio()
    {
        var options = new SpawnOptions("/bin/sh", "-c", "cat; echo to-stdout; echo to-stderr >&2; readlink /proc/self/fd/0")
        {
            StandardInput = ChildStdio.Null,
        };
        options.StandardError = ChildStdio.Null;
        var (status, stdout, _) = Run(options);
        Assert.True(status.Succeeded);
        Assert.Equal("to-stdout\n/dev/null\n", stdout);
    }

    [Fact]
    public void GivenDescriptorAsStdout()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var path = Path.Combine(directory, "out.txt");
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                var options = new SpawnOptions("/bin/echo", "into the file") { StandardOutput = ChildStdio.From(file.SafeFileHandle) };
                using var child = ChildProcess.Start(options);
                Assert.True(child.WaitForExit().Succeeded);
            }

            Assert.Equal("into the file\n", File.ReadAllText(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ExplicitEnvironmentReplacesEverything()
    {
        var options = new SpawnOptions("/usr/bin/env")
        {
            Environment = new Dictionary<string, string> { ["ONLY"] = "this", ["SECOND"] = "one=two" },
        };
        var (status, stdout, _) = Run(options);
        Assert.True(status.Succeeded);
        Assert.Equal(new[] { "ONLY=this", "SECOND=one=two" }, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public void InheritedEnvironmentIncludesManagedChanges()
    {
        var name = "SAFEPOSIX_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "visible");
        try
        {
            var (_, stdout, _) = Run(new SpawnOptions("/bin/sh", "-c", "echo \"$" + name + "\""));
            Assert.Equal("visible\n", stdout);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void WorkingDirectoryAndArgumentZero()
    {
        var options = new SpawnOptions("/bin/sh", "-c", "pwd; echo \"$0\"") { WorkingDirectory = "/usr/lib", ArgumentZero = "custom-name" };
        var (status, stdout, _) = Run(options);
        Assert.True(status.Succeeded);
        Assert.Equal("/usr/lib\ncustom-name\n", stdout);
    }

    [Fact]
    public void ArgumentsArriveVerbatim()
    {
        string[] arguments = ["plain", "with space", "quote\"s", "$HOME", "ünïcødé", string.Empty, "*"];
        var (_, stdout, _) = Run(new SpawnOptions("/usr/bin/printf", ["[%s]\n", .. arguments]));
        Assert.Equal(string.Concat(arguments.Select(a => "[" + a + "]\n")), stdout);
    }

    [Fact]
    public void NewSessionAndProcessGroup()
    {
        using (var leader = ChildProcess.Start(new SpawnOptions("/bin/sleep", "30") { NewSession = true }))
        {
            var stat = Proc.TryReadStat(leader.Id)!.Value;
            Assert.Equal(leader.Id, stat.Session);
            Assert.Equal(leader.Id, stat.ProcessGroup);
            leader.Kill();
            leader.WaitForExit();
        }

        using (var grouped = ChildProcess.Start(new SpawnOptions("/bin/sleep", "30") { ProcessGroup = 0 }))
        {
            var stat = Proc.TryReadStat(grouped.Id)!.Value;
            Assert.Equal(grouped.Id, stat.ProcessGroup);
            Assert.NotEqual(grouped.Id, stat.Session);
            grouped.Kill();
            grouped.WaitForExit();
        }

        using var inherited = ChildProcess.Start("/bin/sleep", "30");
        Assert.Equal(Proc.TryReadStat(Environment.ProcessId)!.Value.ProcessGroup, Proc.TryReadStat(inherited.Id)!.Value.ProcessGroup);
        inherited.Kill();
        inherited.WaitForExit();
    }

    private static (ExitStatus Status, string Out, string Err) Run(SpawnOptions options) => Proc.Run(options);
}
