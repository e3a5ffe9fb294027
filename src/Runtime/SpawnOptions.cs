using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace SafePosix;

/// <summary>Places a parent descriptor at a chosen number in the child (a dup2 file action).</summary>
public sealed class DescriptorMapping
{
    /// <summary>Maps <paramref name="handle"/> to descriptor <paramref name="childDescriptor"/> in the child.</summary>
    /// <param name="handle">The parent's descriptor; the caller keeps ownership.</param>
    /// <param name="childDescriptor">The number in the child: 3 or more (0 to 2 are set through the stdio options).</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid or closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="childDescriptor"/> is below 3 or above <see cref="MaxChildDescriptor"/>.</exception>
    public DescriptorMapping(SafeHandle handle, int childDescriptor)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsInvalid || handle.IsClosed)
        {
            throw new ArgumentException("The handle is invalid or closed.", nameof(handle));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(childDescriptor, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(childDescriptor, MaxChildDescriptor);
        Handle = handle;
        ChildDescriptor = childDescriptor;
    }

    /// <summary>The highest child descriptor number accepted (the usual soft RLIMIT_NOFILE is 1024).</summary>
    public const int MaxChildDescriptor = 1023;

    /// <summary>The parent's descriptor.</summary>
    public SafeHandle Handle { get; }

    /// <summary>The descriptor number the child sees.</summary>
    public int ChildDescriptor { get; }
}

/// <summary>Everything <see cref="ChildProcess.Start(SpawnOptions)"/> needs to start one program.</summary>
/// <remarks>
/// The child always starts with every signal at its default disposition and an empty signal mask, whatever the
/// parent has ignored or blocked. That includes SIGPIPE, which every .NET process ignores and which
/// <see cref="System.Diagnostics.Process"/> passes on to its children.
/// </remarks>
public sealed class SpawnOptions
{
    /// <summary>Creates options for <paramref name="program"/>.</summary>
    /// <param name="program">
    /// The program. A name without '/' is searched, when the child is started, in the PATH the child will get: the
    /// one in <see cref="Environment"/> (or <see cref="EnvironmentBytes"/>) when that is set, else the current
    /// environment's as .NET sees it, including <see cref="System.Environment.SetEnvironmentVariable(string, string)"/>
    /// changes; without any PATH, /bin:/usr/bin as the C library does. Relative PATH entries count from
    /// <see cref="WorkingDirectory"/> when one is set. A name with '/' is used as it is (posix_spawn), and a relative
    /// path is resolved against <see cref="WorkingDirectory"/> when one is set.
    /// </param>
    /// <param name="arguments">The arguments after argv[0].</param>
    /// <exception cref="ArgumentNullException"><paramref name="program"/> or an argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="program"/> is empty, or a string contains NUL.</exception>
    public SpawnOptions(string program, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(arguments);
        if (program.Length == 0)
        {
            throw new ArgumentException("The program must not be empty.", nameof(program));
        }

        NativeStrings.ThrowIfContainsNul(program, nameof(program));
        Program = program;
        foreach (var argument in arguments)
        {
            ArgumentNullException.ThrowIfNull(argument, nameof(arguments));
            NativeStrings.ThrowIfContainsNul(argument, nameof(arguments));
        }

        Arguments = new List<string>(arguments);
    }

    /// <summary>The program to run (see the constructor for how it is found).</summary>
    public string Program { get; }

    /// <summary>The arguments after argv[0]; checked again at start.</summary>
    public IList<string> Arguments { get; }

    /// <summary>
    /// The arguments after argv[0] as exact bytes (for file names that are not UTF-8, say); null (the default)
    /// uses <see cref="Arguments"/>, which must then be empty. A byte string must not contain NUL.
    /// </summary>
    public IList<byte[]>? ArgumentBytes { get; set; }

    /// <summary>
    /// The child's whole environment as exact "NAME=value" byte strings; null (the default) uses
    /// <see cref="Environment"/>. Setting both is an error. Start from <see cref="CurrentEnvironmentBytes"/> to edit a copy.
    /// </summary>
    public IList<byte[]>? EnvironmentBytes { get; set; }

    /// <summary>argv[0] as the child sees it; null means <see cref="Program"/>.</summary>
    public string? ArgumentZero { get; set; }

    /// <summary>
    /// The child's environment. Null (the default) passes on the current process's environment as .NET sees it,
    /// including changes made with <see cref="System.Environment.SetEnvironmentVariable(string, string)"/>, and
    /// byte for byte: a variable the process inherited with bytes that are not UTF-8 (which .NET shows as U+FFFD)
    /// reaches the child unchanged unless it was changed since. A dictionary replaces it entirely (start from
    /// <see cref="CurrentEnvironment"/> to edit a copy); a string that UTF-8 cannot encode (a lone surrogate) is an
    /// <see cref="ArgumentException"/> at start, never a silent replacement.
    /// </summary>
    public IDictionary<string, string>? Environment { get; set; }

    /// <summary>
    /// The child's working directory; null keeps the parent's. Needs posix_spawn_file_actions_addchdir_np
    /// (glibc 2.29 or later), which is checked when the child is started.
    /// </summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Descriptor 0 of the child.</summary>
    public ChildStdio StandardInput { get; set; } = ChildStdio.Inherit;

    /// <summary>Descriptor 1 of the child.</summary>
    public ChildStdio StandardOutput { get; set; } = ChildStdio.Inherit;

    /// <summary>Descriptor 2 of the child.</summary>
    public ChildStdio StandardError { get; set; } = ChildStdio.Inherit;

    /// <summary>Further descriptors to place at chosen numbers (3 and up) in the child.</summary>
    public IList<DescriptorMapping> ExtraDescriptors { get; } = new List<DescriptorMapping>();

    /// <summary>Start the child in a new session (setsid; POSIX_SPAWN_SETSID, glibc 2.26+), detached from the
    /// controlling terminal. A session leader is also the leader of a new process group.</summary>
    public bool NewSession { get; set; }

    /// <summary>
    /// Put the child in a process group (POSIX_SPAWN_SETPGROUP): 0 makes a new group led by the child, a pid
    /// joins that existing group, null (the default) leaves the child in the parent's group.
    /// Cannot be combined with <see cref="NewSession"/>.
    /// </summary>
    public int? ProcessGroup { get; set; }

    /// <summary>
    /// Close every descriptor above the highest one handed over, in the child before exec
    /// (posix_spawn_file_actions_addclosefrom_np, glibc 2.34+; skipped silently where absent). Our own
    /// descriptors are close-on-exec already; this also catches ones that native code or our own parent opened
    /// without O_CLOEXEC. Default: true.
    /// </summary>
    public bool CloseOtherDescriptors { get; set; } = true;

    /// <summary>
    /// Kill the child (and whatever it starts in its process group) when this process dies, however it dies,
    /// SIGKILL included. posix_spawn cannot run prctl(PR_SET_PDEATHSIG) in the child, so a guardian does it: a
    /// /bin/sh that leads a new process group, which the child joins, and that holds the read end of a pipe only
    /// this process can write to. Our death closes the pipe and the guardian sends SIGKILL to the group. Costs one
    /// small shell process per child while the child runs. Cannot be combined with <see cref="NewSession"/> or
    /// <see cref="ProcessGroup"/>; <see cref="ChildProcess.ProcessGroupId"/> is then the guardian's group.
    /// Processes that leave the group (setsid, setpgid) escape, and a guardian killed on its own protects nothing.
    /// </summary>
    public bool KillOnParentExit { get; set; }

    /// <summary>
    /// Run the child on this pseudo-terminal: a new session (setsid) whose controlling terminal is the pty, which
    /// is opened by path in the child as stdin and duplicated to stdout and stderr. Overrides the stdio settings
    /// and <see cref="ProcessGroup"/>; implies <see cref="NewSession"/>.
    /// </summary>
    public PseudoTerminal? Terminal { get; set; }

    /// <summary>Test hook: wait with waitpid(pid) instead of a pidfd, as on kernels older than 5.3.</summary>
    internal bool DisablePidfd { get; set; }

    /// <summary>
    /// The current environment as exact "NAME=value" bytes: variables inherited by the process keep their original
    /// bytes (from the C library's environ) unless .NET code changed them since; changed and new variables are
    /// encoded as UTF-8, removed ones are left out. This is what a child gets when <see cref="Environment"/> is null.
    /// </summary>
    public static IList<byte[]> CurrentEnvironmentBytes() => CurrentEnvironmentEntries();

    internal static unsafe List<byte[]> CurrentEnvironmentEntries()
    {
        var managed = CurrentEnvironment();
        var entries = new List<byte[]>(managed.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var environ = Interop.OptionalExports.EnvironVariable == 0 ? null : *(byte***)Interop.OptionalExports.EnvironVariable;
        for (var entry = environ; entry is not null && *entry is not null; entry++)
        {
            var raw = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(*entry);
            var equals = raw.IndexOf((byte)'=');
            if (equals <= 0)
            {
                continue;
            }

            // .NET read the same block at start-up with replacement decoding; compare in that form.
            var name = System.Text.Encoding.UTF8.GetString(raw[..equals]);
            if (!seen.Add(name) || !managed.TryGetValue(name, out var value))
            {
                continue;
            }

            entries.Add(System.Text.Encoding.UTF8.GetString(raw[(equals + 1)..]) == value
                ? raw.ToArray()
                : NativeStrings.ToUtf8(name + "=" + value, nameof(Environment)));
        }

        foreach (var (name, value) in managed)
        {
            if (!seen.Contains(name))
            {
                entries.Add(NativeStrings.ToUtf8(name + "=" + value, nameof(Environment)));
            }
        }

        return entries;
    }

    /// <summary>A shallow copy (the lists and dictionaries are copied, the handles are shared).</summary>
    internal SpawnOptions Clone()
    {
        var copy = new SpawnOptions(Program)
        {
            ArgumentBytes = ArgumentBytes is null ? null : new List<byte[]>(ArgumentBytes),
            EnvironmentBytes = EnvironmentBytes is null ? null : new List<byte[]>(EnvironmentBytes),
            ArgumentZero = ArgumentZero,
            Environment = Environment is null ? null : new Dictionary<string, string>(Environment, StringComparer.Ordinal),
            WorkingDirectory = WorkingDirectory,
            StandardInput = StandardInput,
            StandardOutput = StandardOutput,
            StandardError = StandardError,
            NewSession = NewSession,
            ProcessGroup = ProcessGroup,
            CloseOtherDescriptors = CloseOtherDescriptors,
            KillOnParentExit = KillOnParentExit,
            Terminal = Terminal,
            DisablePidfd = DisablePidfd,
        };
        foreach (var argument in Arguments)
        {
            copy.Arguments.Add(argument);
        }

        foreach (var mapping in ExtraDescriptors)
        {
            copy.ExtraDescriptors.Add(mapping);
        }

        return copy;
    }

    /// <summary>A copy of the current process's environment, as .NET sees it, ready to edit.</summary>
    public static IDictionary<string, string> CurrentEnvironment()
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            copy[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return copy;
    }
}
