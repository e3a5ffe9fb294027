using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SafePosix;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Runtime.Tests.Facts;

/// <summary>
/// The facts PSX4004 is built on, measured in a real .NET process (tests/SafePosix.Facts.Eintr): which blocking calls
/// fail with EINTR when a signal reaches the blocked thread. The runtime installs its handlers (PosixSignalRegistration,
/// SIGCHLD) with SA_RESTART, so read, write, accept and waitpid are restarted under them; poll, epoll_wait, select,
/// nanosleep, msgrcv and semop fail with EINTR under any handler.
/// </summary>
public sealed class EintrFactsTests(ITestOutputHelper output)
{
    private static readonly string[] NeverRestarted = { "poll", "epoll_wait", "select", "nanosleep", "msgrcv", "semop" };
    private static readonly string[] RestartedUnderSaRestart = { "read (pipe)", "write (full pipe)", "accept (unix socket)", "waitpid" };

    [Fact]
    public void TheMeasuredTableHoldsTheFactsThatPsx4004ChoosesItsCallsBy()
    {
        var probe = Proc.ProbePath.Replace("SafePosix.Runtime.Probe", "SafePosix.Facts.Eintr", StringComparison.Ordinal);
        Assert.True(File.Exists(probe), "probe not built: " + probe);
        var (status, stdout, stderr) = Proc.Run(new SpawnOptions(Proc.DotnetHost, probe), TimeSpan.FromSeconds(120));
        output.WriteLine(stdout + stderr);
        Assert.True(status.Succeeded, status + "\n" + stderr);

        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("| ", StringComparison.Ordinal) && !line.StartsWith("| call", StringComparison.Ordinal))
            .Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray())
            .ToDictionary(cells => cells[0], cells => cells.Skip(1).ToArray());

        // Columns: PosixSignalRegistration, runtime SIGCHLD handler, raw handler without SA_RESTART, raw handler with it.
        foreach (var call in NeverRestarted)
        {
            Assert.All(rows[call], cell => Assert.Equal("**EINTR**", cell));
        }

        foreach (var call in RestartedUnderSaRestart)
        {
            Assert.Equal(new[] { "restarted", "restarted", "**EINTR**", "restarted" }, rows[call]);
        }
    }
}
