using System;
using System.Globalization;
using System.Runtime.InteropServices;

namespace SafePosix;

/// <summary>
/// The one exception type for a failed system call: it names the call, the errno (number and symbol) and
/// the system's own text for it, e.g. <c>posix_spawn failed: ENOENT (2): No such file or directory</c>.
/// </summary>
/// <remarks>
/// Argument mistakes never reach a system call and are reported as <see cref="ArgumentException"/>
/// (or its subclasses) instead.
/// </remarks>
public sealed class PosixException : Exception
{
    /// <summary>Creates an exception for <paramref name="functionName"/> failing with <paramref name="errorNumber"/>.</summary>
    /// <param name="functionName">The failing call, e.g. "open" or "posix_spawn".</param>
    /// <param name="errorNumber">The errno value the call reported.</param>
    /// <param name="detail">Optional context such as the path involved; appended to the message.</param>
    public PosixException(string functionName, int errorNumber, string? detail = null)
        : base(FormatMessage(functionName, errorNumber, detail))
    {
        FunctionName = functionName;
        ErrorNumber = errorNumber;
        ErrorName = Errno.NameOf(errorNumber);
        SystemMessage = Marshal.GetPInvokeErrorMessage(errorNumber);
        Detail = detail;
    }

    /// <summary>The name of the system call or library function that failed.</summary>
    public string FunctionName { get; }

    /// <summary>The errno value, e.g. 2.</summary>
    public int ErrorNumber { get; }

    /// <summary>The symbolic errno name, e.g. "ENOENT".</summary>
    public string ErrorName { get; }

    /// <summary>The C library's description of the error (strerror), e.g. "No such file or directory".</summary>
    public string SystemMessage { get; }

    /// <summary>Extra context given when the exception was created (a path, a pid), or null.</summary>
    public string? Detail { get; }

    /// <summary>Throws for <paramref name="functionName"/> with the errno saved by the last P/Invoke.</summary>
    internal static PosixException FromLastError(string functionName, string? detail = null) =>
        new(functionName, Marshal.GetLastPInvokeError(), detail);

    private static string FormatMessage(string functionName, int errorNumber, string? detail)
    {
        ArgumentNullException.ThrowIfNull(functionName);
        var text = string.Format(
            CultureInfo.InvariantCulture,
            "{0} failed: {1} ({2}): {3}",
            functionName,
            Errno.NameOf(errorNumber),
            errorNumber,
            Marshal.GetPInvokeErrorMessage(errorNumber));
        return detail is null ? text : text + " [" + detail + "]";
    }
}
