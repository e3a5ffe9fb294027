using System;
using System.Globalization;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>An expected diagnostic bound to a <c>{|#n:...|}</c> location key; message checks are optional.</summary>
public sealed record DiagnosticResult(string Id, int? LocationKey = null, string? Message = null, object?[]? Arguments = null)
{
    public DiagnosticResult WithLocation(int key) => this with { LocationKey = key };

    public DiagnosticResult WithMessage(string message) => this with { Message = message };

    public DiagnosticResult WithArguments(params object?[] arguments) => this with { Arguments = arguments };

    /// <summary>The expected message: given outright, or the descriptor's format filled with the arguments.</summary>
    public string? ExpectedMessage(string? messageFormat)
    {
        if (Message is not null)
        {
            return Message;
        }

        if (Arguments is null || messageFormat is null)
        {
            return null;
        }

        return string.Format(CultureInfo.CurrentCulture, messageFormat, Arguments);
    }

    public override string ToString() => Id + (LocationKey is { } key ? " at #" + key.ToString(CultureInfo.InvariantCulture) : string.Empty)
        + (Message is null ? string.Empty : ": " + Message)
        + (Arguments is null ? string.Empty : " (" + string.Join(", ", Arguments) + ")");
}

public sealed class VerificationException : Exception
{
    public VerificationException(string message)
        : base(message)
    {
    }
}
