using System;
using System.Net.Sockets;
using System.Text;

namespace SafePosix;

/// <summary>
/// systemd's readiness protocol (sd_notify) without libsystemd: under <c>Type=notify</c> systemd sets
/// <c>NOTIFY_SOCKET</c> to a datagram socket path ("@name" for the abstract namespace) and waits for "READY=1".
/// </summary>
public static class ServiceNotify
{
    /// <summary>The environment variable systemd sets.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>Reports that start-up is complete ("READY=1").</summary>
    /// <returns>False when not running under a notify-aware supervisor (no NOTIFY_SOCKET).</returns>
    public static bool Ready() => Notify("READY=1");

    /// <summary>Reports a one-line status shown by systemctl status ("STATUS=...").</summary>
    /// <param name="status">The text; no newline.</param>
    public static bool Status(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A status is one line.", nameof(status));
        }

        return Notify("STATUS=" + status);
    }

    /// <summary>Reports that the service is shutting down ("STOPPING=1").</summary>
    public static bool Stopping() => Notify("STOPPING=1");

    /// <summary>Sends <paramref name="state"/> (newline-separated assignments) to NOTIFY_SOCKET.</summary>
    /// <param name="state">e.g. "READY=1\nSTATUS=serving".</param>
    /// <returns>False when NOTIFY_SOCKET is not set.</returns>
    /// <exception cref="SocketException">The socket exists but the message could not be sent.</exception>
    public static bool Notify(string state)
    {
        var path = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        Notify(state, path);
        return true;
    }

    /// <summary>Sends <paramref name="state"/> to the notify socket at <paramref name="socketPath"/>.</summary>
    /// <param name="state">Newline-separated assignments.</param>
    /// <param name="socketPath">A filesystem path, or "@name" for a Linux abstract socket.</param>
    public static void Notify(string state, string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        if (socketPath[0] != '/' && socketPath[0] != '@')
        {
            throw new ArgumentException("NOTIFY_SOCKET must be an absolute path or start with '@' (abstract).", nameof(socketPath));
        }

        // UnixDomainSocketEndPoint takes a leading NUL for the abstract namespace; systemd writes it as '@'.
        var endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.SendTo(Encoding.UTF8.GetBytes(state), endPoint);
    }
}
