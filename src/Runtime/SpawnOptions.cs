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
    /// The program. A name without '/' is searched in PATH (posix_spawnp, using the PATH of the C library's
    /// environment, which is the one the process started with); a name with '/' is used as it is (posix_spawn),
    /// and a relative path is resolved against <see cref="WorkingDirectory"/> when one is set.
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

    /// <summary>argv[0] as the child sees it; null means <see cref="Program"/>.</summary>
    public string? ArgumentZero { get; set; }

    /// <summary>
    /// The child's environment. Null (the default) passes on the current process's environment as .NET sees it,
    /// including changes made with <see cref="Environment.SetEnvironmentVariable(string, string)"/>;
    /// a dictionary replaces it entirely (start from <see cref="CurrentEnvironment"/> to edit a copy).
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

    /// <summary>Test hook: wait with waitpid(pid) instead of a pidfd, as on kernels older than 5.3.</summary>
    internal bool DisablePidfd { get; set; }

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
