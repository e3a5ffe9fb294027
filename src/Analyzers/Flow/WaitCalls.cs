using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>The wait family on every surface: which child a call waits for, and whether it blocks.</summary>
internal static class WaitCalls
{
    public static readonly FunctionSet Functions = PosixSurfaces.Functions("wait", "waitpid", "wait3", "wait4", "waitid");

    /// <summary>Calls that create a child the caller must reap.</summary>
    public static readonly FunctionSet ChildCreatingFunctions = PosixSurfaces.Functions(
        "fork", "vfork", "forkpty", "posix_spawn", "posix_spawnp");

    /// <summary>
    /// How a wait call picks its child, when that is "any child": "any child" for pid -1 and <c>wait</c>,
    /// "any child of its group" for pid 0 and <c>P_PGID</c>, "any child in group N" for pid &lt; -1.
    /// Null for a wait for one pid, or when the pid is not known.
    /// </summary>
    public static string? AnyChildTarget(IInvocationOperation wait, string function, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        switch (function)
        {
            case "wait":
            case "wait3":
                return "any child";
            case "waitpid":
            case "wait4":
                var pid = SignalValues.IntegerValue(OperationFacts.Argument(wait, 0), surfaces, cancellationToken);
                return pid switch
                {
                    -1 => "any child",
                    0 => "any child of its group",
                    < -1 => "any child of group " + (-pid.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => null,
                };
            case "waitid":
                // Only P_ALL (0) and P_PGID (2) are any-child; P_PID and P_PIDFD name one child.
                var idType = SignalValues.IntegerValue(OperationFacts.Argument(wait, 0), surfaces, cancellationToken);
                return idType switch
                {
                    SignalValues.P_ALL => "any child",
                    SignalValues.P_PGID => "any child of a group",
                    _ => null,
                };
            default:
                return null;
        }
    }

    /// <summary>The options argument of waitpid/wait3/wait4 (waitid's too); null for wait, which has none.</summary>
    public static IOperation? OptionsArgument(IInvocationOperation wait, string function)
    {
        var options = function switch
        {
            "waitpid" => OperationFacts.Argument(wait, 2),
            "wait3" => OperationFacts.Argument(wait, 1),
            "wait4" => OperationFacts.Argument(wait, 2),
            "waitid" => OperationFacts.Argument(wait, 3),
            _ => null,
        };

        // Legacy Mono.Posix.Syscall.waitpid(int pid, WaitOptions options) has no status.
        if (options is null && function == "waitpid" && wait.Arguments.Length == 2)
        {
            options = OperationFacts.Argument(wait, 1);
        }

        return options;
    }

    /// <summary>True when the call certainly returns at once when no child has exited (WNOHANG is set).</summary>
    public static bool IsNonBlocking(IInvocationOperation wait, string function, PosixSurfaces surfaces, CancellationToken cancellationToken)
        => OptionsArgument(wait, function) is { } options && SignalValues.ContainsFlag(options, SignalValues.WNOHANG, surfaces, cancellationToken);
}
