using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using SafePosix;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace SafePosix.Runtime.Probe;

/// <summary>Scenarios that need a process of their own. Each prints "key=value" lines the tests parse.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (Daemon.IsDaemon)
        {
            return RunAsDaemon(args);
        }

        return args.Length == 0 ? Usage() : args[0] switch
        {
            "pid1" => Pid1(),
            "daemon-start" => StartDaemon(args),
            "sigchld-ignored" => SigchldIgnored(),
            "poller-emfile" => PollerAfterEmfile(),
            "pid-reuse" => PidReuse(),
            "poller-limit" => PollerBeyondDescriptorLimit(),
            "env-bytes" => InheritedEnvironmentBytes(),
            "parent-exit" => KillOnParentExit(),
            "notify" => NotifyReady(),
            "pidfd-retry" => PidfdRetry(),
            "path-set-later" => PathSetLater(args),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: probe pid1 | sigchld-ignored | poller-emfile | daemon-start <pidfile|-> <logfile|-> <stopfile> [fail-before-ready|slow-death]");
        return 2;
    }

    /// <summary>
    /// Run as pid 1 of a new pid namespace. Exits of our children are reported first with no SIGCHLD handler
    /// installed, then again after Process.Start has installed the runtime's handler, which as pid 1 may reap
    /// every child: whatever happens, our wait must report either the true status or Unknown, never a made-up one.
    /// </summary>
    private static int Pid1()
    {
        Console.WriteLine("pid=" + Environment.ProcessId);
        using (var before = ChildProcess.Start("/bin/sh", "-c", "exit 7"))
        {
            Console.WriteLine("before=" + Describe(before.WaitForExit()));
        }

        using (var dotnetChild = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exit 9"]))!)
        {
            dotnetChild.WaitForExit();
            Console.WriteLine("process=" + dotnetChild.ExitCode);
        }

        using (var after = ChildProcess.Start("/bin/sh", "-c", "sleep 0.3; exit 5"))
        {
            Console.WriteLine("after=" + Describe(after.WaitForExit()));
        }

        using (var asyncChild = ChildProcess.Start("/bin/sh", "-c", "sleep 0.3; exit 6"))
        {
            Console.WriteLine("afterAsync=" + Describe(asyncChild.WaitForExitAsync().GetAwaiter().GetResult()));
        }

        // Deterministic version: let the child exit and give the runtime time to reap it before we wait at all.
        using (var unwaited = ChildProcess.Start("/bin/sh", "-c", "exit 8"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (File.Exists("/proc/" + unwaited.Id + "/stat") && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }

            Console.WriteLine("reapedByRuntime=" + !File.Exists("/proc/" + unwaited.Id + "/stat"));
            Console.WriteLine("unwaited=" + Describe(unwaited.WaitForExit()));
        }

        return 0;
    }

    /// <summary>
    /// With SIGCHLD set to SIG_IGN the kernel reaps children itself, so no exit status is ever available: every
    /// wait must say Unknown. Runs before anything touches Process, so the runtime's handler is not installed.
    /// </summary>
    private static int SigchldIgnored()
    {
        const int SIGCHLD = 17;
        signal(SIGCHLD, 1); // SIG_IGN
        using (var sync = ChildProcess.Start("/bin/sh", "-c", "exit 4"))
        {
            Console.WriteLine("sync=" + Describe(sync.WaitForExit()));
        }

        using (var asynchronous = ChildProcess.Start("/bin/sh", "-c", "sleep 0.1; exit 4"))
        {
            Console.WriteLine("async=" + Describe(asynchronous.WaitForExitAsync().GetAwaiter().GetResult()));
        }

        using (var killed = ChildProcess.Start("/bin/sleep", "30"))
        {
            killed.Kill();
            Console.WriteLine("killed=" + Describe(killed.WaitForExit()));
        }

        return 0;
    }

    /// <summary>
    /// The first async wait of the process meets a full descriptor table, so creating the shared poller (its eventfd)
    /// fails with EMFILE. Once descriptors are free again, async waits must work: a failed creation must not be
    /// remembered for the life of the process.
    /// </summary>
    private static int PollerAfterEmfile()
    {
        // Load what the code below needs while descriptors are still free: the library's referenced assemblies
        // (type forwarders are loaded from files at first JIT), ICU (culture data), the exception machinery.
        foreach (var reference in typeof(ChildProcess).Assembly.GetReferencedAssemblies())
        {
            System.Reflection.Assembly.Load(reference);
        }

        Console.WriteLine("start=" + System.Globalization.CultureInfo.CurrentCulture.CompareInfo.IndexOf("abc", "B", System.Globalization.CompareOptions.IgnoreCase) + "abc".ToUpper() + 1.5.ToString("N"));
        try
        {
            File.OpenHandle("/nonexistent/safeposix").Dispose();
        }
        catch (IOException e)
        {
            Console.WriteLine("warm=" + e.GetType().Name + new PosixException("eventfd", 24).Message.Length);
        }

        using var child = ChildProcess.Start(new SpawnOptions("/bin/sleep", "30") { StandardOutput = ChildStdio.Null });
        var fillers = new System.Collections.Generic.List<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        var limit = new RLimit();
        getrlimit(RLIMIT_NOFILE, ref limit);
        var lowered = new RLimit { Current = 256, Maximum = limit.Maximum };
        setrlimit(RLIMIT_NOFILE, ref lowered);
        try
        {
            while (true)
            {
                fillers.Add(File.OpenHandle("/dev/null"));
            }
        }
        catch (IOException)
        {
            // The table is full.
        }

        try
        {
            child.WaitForExitAsync().GetAwaiter().GetResult();
            Console.WriteLine("first=no error");
        }
        catch (PosixException e)
        {
            Console.WriteLine("first=" + e.FunctionName + " " + e.ErrorName);
        }

        foreach (var filler in fillers)
        {
            filler.Dispose();
        }

        setrlimit(RLIMIT_NOFILE, ref limit);
        try
        {
            var wait = child.WaitForExitAsync();
            child.Kill();
            Console.WriteLine("second=" + Describe(wait.GetAwaiter().GetResult()));
        }
        catch (PosixException e)
        {
            Console.WriteLine("second=" + e.FunctionName + " " + e.ErrorName);
        }

        return 0;
    }

    private const int RLIMIT_NOFILE = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc")]
    private static extern int getrlimit(int resource, ref RLimit limit);

    [DllImport("libc")]
    private static extern int setrlimit(int resource, ref RLimit limit);

    private static string Describe(ExitStatus status) =>
        status.Kind == ExitStatusKind.Exited ? "exited:" + status.ExitCode
        : status.Kind == ExitStatusKind.Signaled ? "killed:" + status.Signal
        : status.Kind.ToString();

    private static int StartDaemon(string[] args)
    {
        var options = new DaemonOptions
        {
            PidFilePath = args[1] == "-" ? null : args[1],
            LogFilePath = args[2] == "-" ? null : args[2],
            ReadinessTimeout = TimeSpan.FromSeconds(20),
        };

        var launch = Daemon.Start(options);
        Console.WriteLine("outcome=" + launch.Outcome);
        Console.WriteLine("daemonPid=" + launch.Process.Id);
        Console.WriteLine("exitStatus=" + (launch.ExitStatus is { } s ? Describe(s) : "none"));
        return launch.Started ? 0 : 1;
    }

    private static int RunAsDaemon(string[] args)
    {
        var stopFile = args[3];
        var failBeforeReady = args.Length > 4 && args[4] == "fail-before-ready";
        using var daemon = Daemon.Enter();
        if (args.Length > 4 && args[4] == "slow-death")
        {
            // Closes the readiness pipe, then takes longer than 5 s to die, like a loaded machine printing an
            // unhandled exception.
            daemon.Dispose();
            Thread.Sleep(6000);
            return 4;
        }

        if (failBeforeReady)
        {
            Console.Error.WriteLine("daemon failing on purpose before ready");
            return 3;
        }

        var umask = File.ReadAllLines("/proc/self/status");
        Console.WriteLine("daemon pid=" + Environment.ProcessId);
        Console.WriteLine("daemon cwd=" + Environment.CurrentDirectory);
        Console.WriteLine("daemon sid=" + getsid(0));
        Console.WriteLine("daemon marker=" + (Environment.GetEnvironmentVariable(Daemon.MarkerVariable) ?? "cleared"));
        foreach (var line in umask)
        {
            if (line.StartsWith("Umask:", StringComparison.Ordinal))
            {
                Console.WriteLine("daemon umask=" + line.Substring(6).Trim());
            }
        }

        Console.Out.Flush();
        daemon.NotifyReady();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(stopFile) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Console.WriteLine("daemon stopping");
        return 0;
    }

    /// <summary>
    /// Run as pid 1 of a new pid namespace (so ns_last_pid is ours to set). A child tracked by pid only exits
    /// while SIGCHLD is ignored, the kernel reaps it, and a new process is given the same pid. Kill on the old child
    /// must not reach the new process.
    /// </summary>
    private static int PidReuse()
    {
        const int SIGCHLD = 17;
        signal(SIGCHLD, 1); // SIG_IGN: the kernel reaps exited children at once
        var tracked = ChildProcess.Start(new SpawnOptions("/bin/true") { DisablePidfd = true });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.Exists("/proc/" + tracked.Id + "/stat") && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        ChildProcess? victim = null;
        for (var attempt = 0; attempt < 50 && victim is null; attempt++)
        {
            // Runtime threads take pids too, so the next clone may not be ours: try again until the victim gets it.
            File.WriteAllText("/proc/sys/kernel/ns_last_pid", (tracked.Id - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var candidate = ChildProcess.Start("/bin/sleep", "30");
            if (candidate.Id == tracked.Id)
            {
                victim = candidate;
            }
            else
            {
                candidate.Kill();
                candidate.Dispose();
            }
        }

        Console.WriteLine("reused=" + (victim is not null));
        if (victim is null)
        {
            return 0;
        }

        string outcome;
        try
        {
            tracked.Kill();
            outcome = "sent";
        }
        catch (Exception e)
        {
            outcome = e.GetType().Name;
            Console.WriteLine("message=" + e.Message);
        }

        Console.WriteLine("kill=" + outcome);
        Console.WriteLine("victimAlive=" + !victim.TryWaitForExit(TimeSpan.FromMilliseconds(300), out _));
        victim.Kill();
        victim.Dispose();
        tracked.Dispose();
        return 0;
    }

    /// <summary>
    /// 150 children with two async waits each under a descriptor limit of 256: more registrations than poll(2)
    /// accepts descriptors. Every wait must complete.
    /// </summary>
    private static int PollerBeyondDescriptorLimit()
    {
        var limit = new RLimit();
        getrlimit(RLIMIT_NOFILE, ref limit);
        var lowered = new RLimit { Current = 256, Maximum = limit.Maximum };
        setrlimit(RLIMIT_NOFILE, ref lowered);
        var children = new System.Collections.Generic.List<ChildProcess>();
        var waits = new System.Collections.Generic.List<System.Threading.Tasks.Task<ExitStatus>>();
        for (var i = 0; i < 150; i++)
        {
            var child = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "sleep 1; exit 3") { StandardInput = ChildStdio.Null });
            children.Add(child);
            waits.Add(child.WaitForExitAsync());
            waits.Add(child.WaitForExitAsync());
        }

        var all = System.Threading.Tasks.Task.WhenAll(waits);
        System.Threading.Tasks.Task.WhenAny(all, System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(20))).GetAwaiter().GetResult();
        var completed = 0;
        foreach (var wait in waits)
        {
            if (wait.IsCompletedSuccessfully && wait.Result == ExitStatus.Exited(3))
            {
                completed++;
            }
        }

        Console.WriteLine("completed=" + completed);
        foreach (var child in children)
        {
            child.Dispose();
        }

        return 0;
    }

    /// <summary>Started with a non-UTF-8 variable in its environment; a child inheriting it must get the same bytes.</summary>
    private static int InheritedEnvironmentBytes()
    {
        var options = new SpawnOptions("/bin/sh", "-c", "printf %s \"$SAFEPOSIX_BYTES\" | od -An -tx1")
        {
            StandardOutput = ChildStdio.Pipe,
        };
        using var child = ChildProcess.Start(options);
        var text = new StreamReader(child.StandardOutput!).ReadToEnd();
        child.WaitForExit();
        Console.WriteLine("inherited=" + text.Trim());
        return 0;
    }

    /// <summary>
    /// Starts a guarded child (which starts a grandchild in its group) and an unguarded one, prints their pids and
    /// waits to be SIGKILLed by the test: the guarded pair must die with us, the unguarded child must not.
    /// </summary>
    /// <summary>
    /// A child started while the descriptor table is full gets no pidfd (EMFILE); once descriptors are free the next
    /// signal or wait must open one, and the signal must reach the child.
    /// </summary>
    private static int PidfdRetry()
    {
        using (var warm = ChildProcess.Start("/bin/true"))
        {
            warm.WaitForExit();
        }

        var fillers = new System.Collections.Generic.List<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        var limit = new RLimit();
        getrlimit(RLIMIT_NOFILE, ref limit);
        var lowered = new RLimit { Current = 256, Maximum = limit.Maximum };
        setrlimit(RLIMIT_NOFILE, ref lowered);
        ChildProcess child;
        try
        {
            try
            {
                while (true)
                {
                    fillers.Add(File.OpenHandle("/dev/null"));
                }
            }
            catch (IOException)
            {
                // The table is full.
            }

            child = ChildProcess.Start("/bin/sleep", "30");
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }

            setrlimit(RLIMIT_NOFILE, ref limit);
        }

        Console.WriteLine("pidfdAtStart=" + child.UsesPidfd);
        child.Signal(Signal.SIGTERM);
        Console.WriteLine("pidfdAfterRetry=" + child.UsesPidfd);
        Console.WriteLine("status=" + Describe(child.WaitForExit()));
        child.Dispose();
        return 0;
    }

    /// <summary>PATH changed with Environment.SetEnvironmentVariable after start-up: the search must use it.</summary>
    private static int PathSetLater(string[] args)
    {
        Environment.SetEnvironmentVariable("PATH", args[1]);
        var options = new SpawnOptions("echo", "real") { StandardOutput = ChildStdio.Pipe };
        using var child = ChildProcess.Start(options);
        Console.WriteLine("output=" + new StreamReader(child.StandardOutput!).ReadToEnd().Trim());
        child.WaitForExit();
        return 0;
    }

    private static int NotifyReady()
    {
        Console.WriteLine("sent=" + (ServiceNotify.Ready() && ServiceNotify.Status("probe ready")));
        return 0;
    }

    private static int KillOnParentExit()
    {
        var guarded = ChildProcess.Start(new SpawnOptions("/bin/sh", "-c", "sleep 60 & echo grandchild=$!; wait")
        {
            KillOnParentExit = true,
            StandardOutput = ChildStdio.Pipe,
        });
        var unguarded = ChildProcess.Start(new SpawnOptions("/bin/sleep", "60"));
        var grandchildLine = new StreamReader(guarded.StandardOutput!).ReadLine();
        Console.WriteLine("child=" + guarded.Id);
        Console.WriteLine(grandchildLine);
        Console.WriteLine("unguarded=" + unguarded.Id);
        Console.WriteLine("ready=1");
        Console.Out.Flush();
        Thread.Sleep(TimeSpan.FromSeconds(60));
        return 0;
    }

    [DllImport("libc")]
    private static extern int getsid(int pid);

    [DllImport("libc")]
    private static extern nint signal(int signal, nint handler);
}
