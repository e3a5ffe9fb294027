using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace SafePosix.Runtime.Tests.Facts;

/// <summary>
/// The runtime facts the waiting and signal rules (PSX2001-PSX2009) are built on, measured on this machine with
/// real processes. Each scenario runs in a probe process of its own (SafePosix.Facts.Signals), so a scenario that
/// kills, hangs or fails fast its process cannot take the test host with it. If one of these fails on a new
/// runtime, the rule that cites it must be revisited before anything else.
/// </summary>
public sealed class SignalFactsTests
{
    // PSX2004-PSX2007: the runtime ignores SIGPIPE before Main.
    [Fact]
    public void Sigpipe_IsIgnoredAtMain()
    {
        var facts = RunProbe("sigpipe-at-main");
        Assert.Equal("True", facts["sigpipe_ignored"]);
    }

    // PSX2005: an ignored disposition survives exec, whoever starts the child; only SETSIGDEF resets it.
    [Fact]
    public void Children_InheritTheIgnoredSigpipe_UnlessSpawnResetsIt()
    {
        var facts = RunProbe("sigpipe-children");
        Assert.Equal("True", facts["process_start_child_sigpipe_ignored"]);
        Assert.Equal("True", facts["posix_spawn_child_sigpipe_ignored"]);
        Assert.Equal("False", facts["posix_spawn_setsigdef_child_sigpipe_ignored"]);

        // `yes | head -n 1` in such a child: yes sees EPIPE and complains instead of dying silently of SIGPIPE.
        Assert.Contains("Broken pipe", facts["yes_head_stderr"], StringComparison.Ordinal);
    }

    // PSX2004: once SIGPIPE is back to SIG_DFL, a write to a pipe without a reader kills the process.
    [Fact]
    public void SigpipeResetToDefault_KillsTheProcessOnTheNextBrokenPipe()
    {
        var (exitCode, output, _) = RunProbeRaw("sigpipe-reset");
        var facts = Parse(output);
        Assert.Equal("-1", facts["write_while_ignored"]);
        Assert.Equal("32", facts["write_while_ignored_errno"]); // EPIPE
        Assert.False(facts.ContainsKey("survived_write_after_reset"));
        Assert.Equal(128 + 13, exitCode); // killed by SIGPIPE
    }

    // PSX2002: waitpid(-1) reaps a child that System.Diagnostics.Process started; Process then never sees it exit
    // (or the runtime fails fast with "Error while reaping child", the other outcome seen in dotnet/runtime#33297).
    [Fact]
    public void WaitForAnyChild_StealsAProcessChild()
    {
        // Our blocking waitpid(-1) races the runtime's own reaping; on a loaded machine the runtime may win a round.
        var (exitCode, output, error) = (0, string.Empty, string.Empty);
        var facts = new Dictionary<string, string>();
        for (var attempt = 0; attempt < 3 && facts.GetValueOrDefault("stolen") != "True"; attempt++)
        {
            (exitCode, output, error) = RunProbeRaw("waitpid-any");
            facts = Parse(output);
        }

        Assert.Equal("True", facts["stolen"]);
        Assert.Equal("3", facts["stolen_status"]);
        var failedFast = exitCode != 0 && error.Contains("Error while reaping child", StringComparison.Ordinal);
        Assert.True(failedFast || facts.GetValueOrDefault("wait_for_exit") == "False",
            $"Process still saw its stolen child exit (exit code {exitCode}):\n{output}\n{error}");
    }

    // PSX2006: MSG_NOSIGNAL cast into SocketFlags is rejected by Socket.Send; on raw send it is fine.
    [Fact]
    public void MsgNoSignalCastToSocketFlags_MakesSocketSendFail()
    {
        var facts = RunProbe("socketflags-nosignal");
        Assert.Equal("1", facts["send_none"]);
        Assert.Equal("OperationNotSupported", facts["send_msg_nosignal_error"]);
        Assert.Equal("1", facts["raw_send_msg_nosignal"]);
    }

    // PSX2001: N children exiting together raise fewer SIGCHLD handler runs than N, and all N wait to be reaped.
    [Fact]
    public void SigchldsCoalesce()
    {
        // The exits of children killed together may spread out on a loaded machine: one round that coalesces proves it.
        var runs = new List<int>();
        for (var attempt = 0; attempt < 3 && (runs.Count == 0 || runs[^1] >= 16); attempt++)
        {
            var facts = RunProbe("sigchld-coalesce", "16");
            Assert.Equal("16", facts["reaped_after"]);
            runs.Add(int.Parse(facts["handler_runs"], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.InRange(runs[^1], 1, 15);
    }

    // PSX2008: with SIGCHLD ignored the kernel reaps every child: waitpid fails with ECHILD, Process never sees the exit.
    [Fact]
    public void SigchldIgnored_TheKernelReapsEveryChild()
    {
        var facts = RunProbe("sigchld-ignored");
        Assert.Equal("-1", facts["waitpid_own_child"]);
        Assert.Equal("10", facts["waitpid_own_child_errno"]); // ECHILD
        Assert.Equal("False", facts["process_wait_for_exit"]);
    }

    private static Dictionary<string, string> RunProbe(params string[] arguments)
    {
        var (exitCode, output, error) = RunProbeRaw(arguments);
        Assert.True(exitCode == 0, $"probe {string.Join(' ', arguments)} exited with {exitCode}:\n{output}\n{error}");
        return Parse(output);
    }

    private static (int ExitCode, string Output, string Error) RunProbeRaw(params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(ProbePath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var probe = Process.Start(start)!;
        var error = probe.StandardError.ReadToEndAsync();
        var output = probe.StandardOutput.ReadToEndAsync();
        if (!probe.WaitForExit(60_000))
        {
            probe.Kill(entireProcessTree: true);
            Assert.Fail($"probe {string.Join(' ', arguments)} did not finish in 60 s");
        }

        probe.WaitForExit();
        return (probe.ExitCode, output.Result, error.Result);
    }

    private static Dictionary<string, string> Parse(string output) => output
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => line.Split('=', 2))
        .Where(parts => parts.Length == 2)
        .ToDictionary(parts => parts[0], parts => parts[1].Trim(), StringComparer.Ordinal);

    /// <summary>The probe is built next to this project (a ProjectReference that is not referenced), same configuration.</summary>
    private static string ProbePath
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = output.Name;
            var configuration = output.Parent!.Name;
            var testsDirectory = output.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(testsDirectory, "SafePosix.Facts.Signals", "bin", configuration, framework, "SafePosix.Facts.Signals.dll");
        }
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
}
