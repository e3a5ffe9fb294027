using System;
using System.IO;
using SafePosix;
using Xunit;

namespace SafePosix.Runtime.Tests;

/// <summary>Pid file exclusivity, driven in-process (OFD locks conflict between open file descriptions, even in one process).</summary>
public class PidFileTests
{
    [Fact]
    public void AStarterThatLosesItsFreshFileBeforeLockingDoesNotAlsoClaimThePath()
    {
        var directory = Proc.NewTempDirectory();
        SafeFileDescriptor? competitor = null;
        try
        {
            var path = Path.Combine(directory, "race.pid");

            // Between our O_EXCL create and our lock, a second starter finds the fresh file unlocked, takes it for
            // stale, removes it and creates and locks its own. We must then report "already running", not succeed
            // with a lock on an unlinked file while the path names the other daemon's.
            var error = Assert.Throws<PosixException>(() => PidFile.CreateAndLock(path, () => competitor ??= PidFile.CreateAndLock(path)));
            Assert.NotNull(competitor);
            Assert.Equal("EAGAIN", error.ErrorName);
            Assert.Equal(Environment.ProcessId + "\n", File.ReadAllText(path));
        }
        finally
        {
            competitor?.Dispose();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void DisposeRemovesItsOwnPidFileButNotOneThatReplacedIt()
    {
        var directory = Proc.NewTempDirectory();
        try
        {
            var path = Path.Combine(directory, "own.pid");
            using (new DaemonContext(null, PidFile.CreateAndLock(path), path))
            {
                Assert.True(File.Exists(path));
            }

            Assert.False(File.Exists(path));

            var context = new DaemonContext(null, PidFile.CreateAndLock(path), path);
            File.Delete(path);
            File.WriteAllText(path, "another daemon's\n");
            context.Dispose();
            Assert.Equal("another daemon's\n", File.ReadAllText(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
