using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>What a call met on a path after a fork means for that path.</summary>
internal enum ChildCallKind
{
    /// <summary>An ordinary call: the path goes on.</summary>
    Other,

    /// <summary>
    /// An exec* call. It replaces the process image on success and returns only on failure, so the path goes on
    /// after it and the code there still runs in the child: the child must still leave with <c>_exit</c>.
    /// </summary>
    Exec,

    /// <summary><c>_exit</c> / <c>_Exit</c>: the child ends without running anything of the parent's.</summary>
    SafeExit,

    /// <summary><c>exit</c>, <c>Environment.Exit</c>, <c>Environment.FailFast</c>: the path ends, after running managed code, atexit handlers and stdio flushes that belong to the parent.</summary>
    UnsafeExit,

    /// <summary>A call into the project's own helper that throws on every path it leaves by: the parent's handlers run in the child.</summary>
    Throw,

    /// <summary>Never returns for another reason (<c>abort</c>, <c>[DoesNotReturn]</c>): the path ends, nothing to say.</summary>
    NoReturn,
}

/// <summary>How a path of the child leaves the code that only the child runs.</summary>
internal enum ChildExitKind
{
    /// <summary>An <c>_exit</c>-like call.</summary>
    SafeExit,

    /// <summary><c>exit</c>, <c>Environment.Exit</c> and the like.</summary>
    UnsafeExit,

    /// <summary>A <c>return</c> statement: the child goes back into the caller's (the parent's) code.</summary>
    Return,

    /// <summary>A <c>throw</c>: exception dispatch and the parent's handlers run in the child.</summary>
    Throw,

    /// <summary>The child reaches code the parent also runs (the end of the branch, a loop head, the end of the method).</summary>
    FallOut,
}

/// <summary>One way the child leaves; <see cref="Operation"/> is the exit call, the returned value, the thrown exception, or the last operation before a fall-out.</summary>
internal sealed class ChildExit
{
    public ChildExit(ChildExitKind kind, IOperation? operation, Location location, IOperation? lastOperation, bool inChildBranch, bool singleSource)
    {
        Kind = kind;
        Operation = operation;
        Location = location;
        LastOperation = lastOperation;
        InChildBranch = inChildBranch;
        SingleSource = singleSource;
    }

    public ChildExitKind Kind { get; }

    /// <summary>
    /// The exit call, the returned value (null for <c>return;</c>), the thrown exception, or the last child operation
    /// before a fall-out. For a child that leaves inside one of the project's helpers (<see cref="MethodSummaries.ExitOf"/>),
    /// the call of that helper.
    /// </summary>
    public IOperation? Operation { get; }

    /// <summary>Where to report it: the call, the return or throw statement, or the last child statement before a fall-out.</summary>
    public Location Location { get; }

    /// <summary>The last top-level operation the child ran before leaving this way (null when the leaving block has none).</summary>
    public IOperation? LastOperation { get; }

    /// <summary>True when the exit is in the branch where the result is known to be 0; false when it is in code both processes run before any test.</summary>
    public bool InChildBranch { get; }

    /// <summary>For a fall-out: every path that falls out here comes from one block, which ends with <see cref="LastOperation"/> (so one <c>_exit</c> after it closes them all).</summary>
    public bool SingleSource { get; }
}

/// <summary>A top-level graph operation that runs in the child.</summary>
internal readonly struct ChildOperation
{
    public ChildOperation(IOperation operation, bool inChildBranch)
    {
        Operation = operation;
        InChildBranch = inChildBranch;
    }

    public IOperation Operation { get; }

    /// <summary>True inside the branch where the result is known to be 0; false for code both processes run after the fork and before any test of its result.</summary>
    public bool InChildBranch { get; }
}
