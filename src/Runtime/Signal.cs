namespace SafePosix;

/// <summary>
/// Linux signal numbers (x86-64 and arm64 share them). Real-time signals (34 to 64) have no names here;
/// cast their number, e.g. <c>(Signal)40</c>.
/// </summary>
public enum Signal
{
    /// <summary>Hangup: the controlling terminal closed, or (by convention) a daemon should reload its configuration.</summary>
    SIGHUP = 1,

    /// <summary>Interrupt from the keyboard (Ctrl+C).</summary>
    SIGINT = 2,

    /// <summary>Quit from the keyboard (Ctrl+\); the default action dumps core.</summary>
    SIGQUIT = 3,

    /// <summary>Illegal instruction.</summary>
    SIGILL = 4,

    /// <summary>Trace or breakpoint trap.</summary>
    SIGTRAP = 5,

    /// <summary>Abort, as raised by abort(3).</summary>
    SIGABRT = 6,

    /// <summary>Bus error: bad memory access, e.g. past the end of a mapped file.</summary>
    SIGBUS = 7,

    /// <summary>Arithmetic exception.</summary>
    SIGFPE = 8,

    /// <summary>Kill; cannot be caught, blocked or ignored.</summary>
    SIGKILL = 9,

    /// <summary>User-defined signal 1.</summary>
    SIGUSR1 = 10,

    /// <summary>Invalid memory reference; the default action dumps core.</summary>
    SIGSEGV = 11,

    /// <summary>User-defined signal 2.</summary>
    SIGUSR2 = 12,

    /// <summary>Write to a pipe or socket with no reader. Ignored in every .NET process from start-up.</summary>
    SIGPIPE = 13,

    /// <summary>Timer from alarm(2).</summary>
    SIGALRM = 14,

    /// <summary>Polite termination request.</summary>
    SIGTERM = 15,

    /// <summary>Coprocessor stack fault (unused on modern Linux).</summary>
    SIGSTKFLT = 16,

    /// <summary>A child stopped, continued or terminated.</summary>
    SIGCHLD = 17,

    /// <summary>Continue a stopped process.</summary>
    SIGCONT = 18,

    /// <summary>Stop; cannot be caught, blocked or ignored.</summary>
    SIGSTOP = 19,

    /// <summary>Stop from the terminal (Ctrl+Z).</summary>
    SIGTSTP = 20,

    /// <summary>Background process read from its terminal.</summary>
    SIGTTIN = 21,

    /// <summary>Background process wrote to its terminal.</summary>
    SIGTTOU = 22,

    /// <summary>Urgent data on a socket.</summary>
    SIGURG = 23,

    /// <summary>CPU time limit exceeded.</summary>
    SIGXCPU = 24,

    /// <summary>File size limit exceeded.</summary>
    SIGXFSZ = 25,

    /// <summary>Virtual timer expired.</summary>
    SIGVTALRM = 26,

    /// <summary>Profiling timer expired.</summary>
    SIGPROF = 27,

    /// <summary>Terminal window size changed.</summary>
    SIGWINCH = 28,

    /// <summary>I/O possible on a descriptor.</summary>
    SIGIO = 29,

    /// <summary>Power failure.</summary>
    SIGPWR = 30,

    /// <summary>Bad system call.</summary>
    SIGSYS = 31,
}
