using System;
using System.IO;
using System.Runtime.Versioning;
using System.Text;
using System.Threading;
using SafePosix;

// The library is Linux-only: this attribute tells the platform analyzer (CA1416) that so is this program.
[assembly: SupportedOSPlatform("linux")]

// A tour of the process API that also serves as the Native AOT check (.ci/run publishes it with PublishAot=true and
// runs the native binary): every feature below must work without the JIT and without trimming warnings.
var failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine((ok ? "ok   " : "FAIL ") + what);
    failures += ok ? 0 : 1;
}

// 1. The shell pipeline `yes | head -n 3`: real pipes between the children, each stage's status. `yes` starts with
//    SIGPIPE at its default action, so it is killed by SIGPIPE when `head` exits, as in a terminal; a child of
//    System.Diagnostics.Process would inherit .NET's ignored SIGPIPE and print "Broken pipe" instead.
using (var pipeline = Pipeline.Start(new SpawnOptions("yes", "safe posix"), new SpawnOptions("head", "-n", "3") { StandardOutput = ChildStdio.Pipe }))
{
    var text = new StreamReader(pipeline.StandardOutput!).ReadToEnd();
    var statuses = pipeline.WaitForExit();
    Console.Write(text);
    Check(statuses[0].Signal == Signal.SIGPIPE && statuses[1].Succeeded, "pipeline: yes " + statuses[0] + ", head " + statuses[1]);
}

Check(PosixSignals.IsIgnored(Signal.SIGPIPE), "this process ignores SIGPIPE, its children do not");

// 2. A buffered run: feed stdin, collect both outputs concurrently, get the status.
var input = Encoding.UTF8.GetBytes(new string('x', 1 << 20));
var run = await ChildProcess.RunAsync(new SpawnOptions("/bin/sh", "-c", "wc -c; echo done >&2"), new RunOptions { StandardInput = input });
Check(run.Status.Succeeded && run.StandardOutput.Trim() == "1048576" && run.StandardError == "done\n", "buffered run: 1 MiB through wc -c");

// 3. Lines of both outputs as they come.
using (var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "echo out; echo err >&2") { StandardOutput = ChildStdio.Pipe, StandardError = ChildStdio.Pipe }))
{
    var lines = 0;
    await foreach (var line in child.ReadLinesAsync())
    {
        lines++;
    }

    Check(lines == 2 && child.WaitForExit().Succeeded, "line streaming");
}

// 4. Graceful stop of a process group: SIGTERM to the group, a grace period, then SIGKILL.
using (var group = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "sleep 30 & wait") { ProcessGroup = 0 }))
{
    var stopped = await group.StopAsync(TimeSpan.FromSeconds(5));
    Check(stopped.Signal == Signal.SIGTERM, "graceful stop: " + stopped);
}

// 5. A pseudo-terminal: the child's stdin/stdout/stderr and controlling terminal.
using (var terminal = PseudoTerminal.Open(rows: 40, columns: 120))
using (var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "stty size") { Terminal = terminal }))
{
    var status = child.WaitForExit();
    var buffer = new byte[256];
    var read = terminal.Stream.Read(buffer, 0, buffer.Length);
    Check(status.Succeeded && Encoding.UTF8.GetString(buffer, 0, read).Contains("40 120", StringComparison.Ordinal), "pty: stty size sees 40 120");
}

// 6. Readiness for systemd Type=notify (false here unless NOTIFY_SOCKET is set).
Console.WriteLine("sd_notify sent: " + ServiceNotify.Ready());

return failures == 0 ? 0 : 1;
