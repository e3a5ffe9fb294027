using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// Unix-domain sockets on top of <see cref="Socket"/>, with what the BCL lacks: a listening path that handles a stale
/// socket file and is owner-only from the start, abstract addresses, socketpair, peer credentials (SO_PEERCRED) and
/// descriptor passing (SCM_RIGHTS) in both directions.
/// </summary>
/// <example>
/// <code>
/// using var listener = UnixSocket.Listen("/run/user/1000/app.sock");   // 0600, stale file replaced, live one refused
/// using var connection = listener.Accept();
/// PeerCredentials peer = connection.GetPeerCredentials();
/// connection.SendDescriptors("log"u8, logFile.SafeFileHandle);            // like Python's socket.send_fds
///
/// // the other side
/// var (bytes, fds) = socket.ReceiveDescriptors(buffer, maxDescriptors: 4); // like socket.recv_fds; fds are CLOEXEC
/// </code>
/// </example>
public static class UnixSocket
{
    /// <summary>sizeof(sun_path) on Linux, including the terminating NUL of a path.</summary>
    public const int MaxPathBytes = 108;

    /// <summary>The most descriptors one message can carry (SCM_MAX_FD).</summary>
    public const int MaxDescriptorsPerMessage = Libc.SCM_MAX_FD;

    private const uint OwnerOnly = 0x180; // 0600

    /// <summary>
    /// Binds a stream socket to <paramref name="path"/> and listens. The socket file is created with mode 0600 (further
    /// reduced by the umask) without a window: the mode is set on the socket before bind, which Linux copies to the file.
    /// A leftover socket file nobody answers on (a server that crashed) is removed and replaced; a server still accepting
    /// there is an error.
    /// </summary>
    /// <param name="path">The file system path, at most 107 bytes in UTF-8, without NUL.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <exception cref="ArgumentException">The path is empty, too long, or contains NUL.</exception>
    /// <exception cref="PosixException">
    /// EADDRINUSE: a live server listens on the path. EEXIST: the path exists and is not a socket. Or bind/listen failed.
    /// </exception>
    public static Socket Listen(string path, int backlog = 128)
    {
        var bytes = CheckPath(path, nameof(path));
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        var endPoint = new UnixDomainSocketEndPoint(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            SetSocketMode(socket, OwnerOnly);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    socket.Bind(endPoint);
                    break;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 3)
                {
                    RemoveIfStale(path, bytes);
                }
                catch (SocketException e)
                {
                    throw new PosixException("bind", e.SocketErrorCode == SocketError.AddressAlreadyInUse ? IpcErrno.EADDRINUSE : e.NativeErrorCode, path);
                }
            }

            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Listens on an abstract address (Linux): a name in the kernel, with no file to clean up and no stale state. It has
    /// no permissions either: anyone in the network namespace can connect, so check <see cref="GetPeerCredentials"/>.
    /// </summary>
    /// <param name="name">The name, without the leading NUL; at most 107 bytes in UTF-8, no NUL inside.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <exception cref="PosixException">EADDRINUSE: the name is taken.</exception>
    public static Socket ListenAbstract(string name, int backlog = 128)
    {
        CheckPath(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
            }
            catch (SocketException e)
            {
                throw new PosixException("bind", e.SocketErrorCode == SocketError.AddressAlreadyInUse ? IpcErrno.EADDRINUSE : e.NativeErrorCode, "@" + name);
            }

            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects a stream socket to the server at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The path is empty, too long, or contains NUL.</exception>
    /// <exception cref="PosixException">connect failed (ENOENT: no such file; ECONNREFUSED: nobody listens).</exception>
    public static Socket Connect(string path)
    {
        CheckPath(path, nameof(path));
        return ConnectTo(new UnixDomainSocketEndPoint(path), path);
    }

    /// <summary>Connects a stream socket to the abstract address <paramref name="name"/> (no leading NUL).</summary>
    /// <exception cref="PosixException">connect failed (ECONNREFUSED: nobody listens).</exception>
    public static Socket ConnectAbstract(string name)
    {
        CheckPath(name, nameof(name));
        return ConnectTo(new UnixDomainSocketEndPoint("\0" + name), "@" + name);
    }

    /// <summary>A connected pair of unix sockets (socketpair with SOCK_CLOEXEC).</summary>
    /// <param name="type">Stream, Dgram or Seqpacket.</param>
    /// <exception cref="ArgumentOutOfRangeException">Another socket type.</exception>
    /// <exception cref="PosixException">socketpair failed.</exception>
    public static unsafe (Socket First, Socket Second) CreatePair(SocketType type = SocketType.Stream)
    {
        var nativeType = type switch
        {
            SocketType.Stream => Libc.SOCK_STREAM,
            SocketType.Dgram => Libc.SOCK_DGRAM,
            SocketType.Seqpacket => Libc.SOCK_SEQPACKET,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "A unix socket pair is Stream, Dgram or Seqpacket."),
        };
        var fds = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, nativeType | Libc.SOCK_CLOEXEC, 0, fds) != 0)
        {
            throw PosixException.FromLastError("socketpair");
        }

        var first = new SafeSocketHandle((nint)fds[0], ownsHandle: true);
        var second = new SafeSocketHandle((nint)fds[1], ownsHandle: true);
        try
        {
            return (new Socket(first), new Socket(second));
        }
        catch
        {
            first.Dispose();
            second.Dispose();
            throw;
        }
    }

    /// <summary>Turns a received descriptor that is a socket into a <see cref="Socket"/>, which then owns it.</summary>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    public static Socket ToSocket(SafeFileDescriptor descriptor)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        var handle = new SafeSocketHandle(descriptor.DangerousGetHandle(), ownsHandle: true);
        descriptor.SetHandleAsInvalid();
        return new Socket(handle);
    }

    /// <summary>The process, user and group of the peer (SO_PEERCRED).</summary>
    /// <exception cref="PosixException">getsockopt failed (e.g. ENOTCONN, or not a unix socket).</exception>
    public static PeerCredentials GetPeerCredentials(this Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            var length = socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERCRED, credentials);
            if (length != 12)
            {
                throw new PosixException("getsockopt(SO_PEERCRED)", Errno.EINVAL, "returned " + length + " bytes");
            }
        }
        catch (SocketException e)
        {
            throw new PosixException("getsockopt(SO_PEERCRED)", e.NativeErrorCode);
        }

        return new PeerCredentials(
            MemoryMarshal.Read<int>(credentials),
            MemoryMarshal.Read<uint>(credentials[4..]),
            MemoryMarshal.Read<uint>(credentials[8..]));
    }

    /// <summary>
    /// Sends <paramref name="data"/> with <paramref name="descriptors"/> attached (SCM_RIGHTS), like Python's
    /// <c>socket.send_fds</c>. The receiver gets its own descriptors for the same open files; ours stay open. All the
    /// data is sent (the descriptors ride with its first byte), retrying EINTR and waiting out EAGAIN.
    /// </summary>
    /// <param name="socket">A connected unix socket.</param>
    /// <param name="data">At least one byte: a stream socket cannot carry descriptors without data.</param>
    /// <param name="descriptors">1 to 253 open descriptors (any SafeHandle: files, sockets, pipes, memfds).</param>
    /// <exception cref="ArgumentException">No data, no descriptors or too many, or a closed one.</exception>
    /// <exception cref="PosixException">sendmsg failed (EPIPE: the peer is gone; ETOOMANYREFS ...).</exception>
    public static unsafe void SendDescriptors(this Socket socket, ReadOnlySpan<byte> data, params SafeHandle[] descriptors)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(descriptors);
        if (data.IsEmpty)
        {
            throw new ArgumentException("Send at least one byte with the descriptors; a stream socket drops ancillary data sent alone.", nameof(data));
        }

        if (descriptors.Length is 0 or > MaxDescriptorsPerMessage)
        {
            throw new ArgumentOutOfRangeException(nameof(descriptors), descriptors.Length, "Pass 1 to " + MaxDescriptorsPerMessage + " descriptors.");
        }

        for (var i = 0; i < descriptors.Length; i++)
        {
            DescriptorIo.ThrowIfUnusable(descriptors[i], nameof(descriptors) + "[" + i + "]");
        }

        ObjectDisposedException.ThrowIf(socket.SafeHandle.IsClosed, socket);

        var added = new bool[descriptors.Length];
        var socketAdded = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref socketAdded);
            var controlLength = Libc.CmsgSpace(sizeof(int) * descriptors.Length);
            var control = stackalloc byte[controlLength];
            new Span<byte>(control, controlLength).Clear();
            var header = (Libc.CmsgHdr*)control;
            header->Length = (nuint)Libc.CmsgLen(sizeof(int) * descriptors.Length);
            header->Level = Libc.SOL_SOCKET;
            header->Type = Libc.SCM_RIGHTS;
            var fds = (int*)(control + Libc.CmsgHeaderSize);
            for (var i = 0; i < descriptors.Length; i++)
            {
                descriptors[i].DangerousAddRef(ref added[i]);
                fds[i] = (int)descriptors[i].DangerousGetHandle();
            }

            SendAll((int)socket.SafeHandle.DangerousGetHandle(), data, control, controlLength);
        }
        finally
        {
            for (var i = 0; i < descriptors.Length; i++)
            {
                if (added[i])
                {
                    descriptors[i].DangerousRelease();
                }
            }

            if (socketAdded)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Receives data and any descriptors sent with it, like Python's <c>socket.recv_fds</c>. Received descriptors are
    /// close-on-exec (MSG_CMSG_CLOEXEC) and owned by the caller. Blocks until data arrives; EINTR is retried.
    /// </summary>
    /// <param name="socket">A connected unix socket.</param>
    /// <param name="buffer">Where the data goes; not empty.</param>
    /// <param name="maxDescriptors">How many descriptors to make room for, 1 to 253.</param>
    /// <returns>
    /// The number of bytes received (0 at end of stream) and the descriptors that came with them (possibly none).
    /// </returns>
    /// <exception cref="IOException">
    /// The peer sent more descriptors than <paramref name="maxDescriptors"/> (MSG_CTRUNC), or a datagram larger than the
    /// buffer (MSG_TRUNC). The descriptors that did arrive have been closed; the kernel closed the rest.
    /// </exception>
    /// <exception cref="PosixException">recvmsg failed.</exception>
    public static (int BytesReceived, SafeFileDescriptor[] Descriptors) ReceiveDescriptors(this Socket socket, Span<byte> buffer, int maxDescriptors)
    {
        CheckReceive(socket, buffer.Length, maxDescriptors);
        TryReceiveCore(socket, buffer, maxDescriptors, wait: true, out var result);
        return result;
    }

    /// <summary>
    /// As <see cref="ReceiveDescriptors"/>, waiting asynchronously: the wait for data is a zero-byte receive on the
    /// socket, so it runs on .NET's own socket engine (epoll) and ties up no thread.
    /// </summary>
    /// <inheritdoc cref="ReceiveDescriptors"/>
    public static async ValueTask<(int BytesReceived, SafeFileDescriptor[] Descriptors)> ReceiveDescriptorsAsync(
        this Socket socket, Memory<byte> buffer, int maxDescriptors, CancellationToken cancellationToken = default)
    {
        CheckReceive(socket, buffer.Length, maxDescriptors);
        while (true)
        {
            if (TryReceiveCore(socket, buffer.Span, maxDescriptors, wait: false, out var result))
            {
                return result;
            }

            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckReceive(Socket socket, int bufferLength, int maxDescriptors)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (bufferLength == 0)
        {
            throw new ArgumentException("The buffer is empty; the data that carries the descriptors needs room.", "buffer");
        }

        if (maxDescriptors is < 1 or > MaxDescriptorsPerMessage)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDescriptors), maxDescriptors, "Make room for 1 to " + MaxDescriptorsPerMessage + " descriptors.");
        }

        ObjectDisposedException.ThrowIf(socket.SafeHandle.IsClosed, socket);
    }

    /// <summary>recvmsg with MSG_CMSG_CLOEXEC; without <paramref name="wait"/>, false when nothing is there (EAGAIN).</summary>
    private static unsafe bool TryReceiveCore(Socket socket, Span<byte> buffer, int maxDescriptors, bool wait, out (int, SafeFileDescriptor[]) result)
    {
        var controlLength = Libc.CmsgSpace(sizeof(int) * maxDescriptors);
        var control = stackalloc byte[controlLength];
        var received = new List<SafeFileDescriptor>();
        var added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            var fd = (int)socket.SafeHandle.DangerousGetHandle();
            nint n;
            int flags;
            fixed (byte* data = buffer)
            {
                var iov = new Libc.IoVec { Base = data, Length = (nuint)buffer.Length };
                var message = default(Libc.MsgHdr);
                while (true)
                {
                    message = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                    n = Libc.recvmsg(fd, &message, Libc.MSG_CMSG_CLOEXEC | (wait ? 0 : Libc.MSG_DONTWAIT));
                    if (n >= 0)
                    {
                        break;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno == Errno.EAGAIN)
                    {
                        if (!wait)
                        {
                            result = default;
                            return false;
                        }

                        DescriptorIo.WaitUntilReady(fd, Libc.POLLIN, -1);
                        continue;
                    }

                    throw new PosixException("recvmsg", errno);
                }

                flags = message.Flags;
                CollectDescriptors(control, (int)message.ControlLength, received);
            }

            if ((flags & Libc.MSG_CTRUNC) != 0)
            {
                throw new IOException(
                    "The peer sent more descriptors than the " + maxDescriptors + " room was made for (MSG_CTRUNC); the " + received.Count +
                    " that arrived were closed and the kernel closed the rest.");
            }

            if ((flags & Libc.MSG_TRUNC) != 0)
            {
                throw new IOException("The datagram was larger than the " + buffer.Length + "-byte buffer (MSG_TRUNC); its descriptors were closed.");
            }

            result = ((int)n, received.ToArray());
            received.Clear();
            return true;
        }
        finally
        {
            foreach (var descriptor in received)
            {
                descriptor.Dispose();
            }

            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    private static unsafe void CollectDescriptors(byte* control, int length, List<SafeFileDescriptor> received)
    {
        var offset = 0;
        while (offset + Libc.CmsgHeaderSize <= length)
        {
            var header = (Libc.CmsgHdr*)(control + offset);
            var cmsgLength = (int)header->Length;
            if (cmsgLength < Libc.CmsgHeaderSize || offset + cmsgLength > length)
            {
                break;
            }

            if (header->Level == Libc.SOL_SOCKET && header->Type == Libc.SCM_RIGHTS)
            {
                var count = (cmsgLength - Libc.CmsgHeaderSize) / sizeof(int);
                var fds = (int*)(control + offset + Libc.CmsgHeaderSize);
                for (var i = 0; i < count; i++)
                {
                    received.Add(new SafeFileDescriptor(fds[i], ownsHandle: true));
                }
            }

            offset += Libc.CmsgAlign(cmsgLength);
        }
    }

    private static unsafe void SendAll(int fd, ReadOnlySpan<byte> data, byte* control, int controlLength)
    {
        fixed (byte* start = data)
        {
            var p = start;
            var left = data.Length;
            while (left > 0)
            {
                var iov = new Libc.IoVec { Base = p, Length = (nuint)left };
                var message = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                var n = Libc.sendmsg(fd, &message, Libc.MSG_NOSIGNAL);
                if (n >= 0)
                {
                    // The descriptors went with the first bytes; the rest of the data goes without them.
                    control = null;
                    controlLength = 0;
                    p += n;
                    left -= (int)n;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    DescriptorIo.WaitUntilReady(fd, Libc.POLLOUT, -1);
                    continue;
                }

                throw new PosixException("sendmsg", errno);
            }
        }
    }

    private static Socket ConnectTo(UnixDomainSocketEndPoint endPoint, string detail)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(endPoint);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new PosixException("connect", e.NativeErrorCode, detail);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Removes <paramref name="path"/> if it is a socket file that no server answers on.</summary>
    private static unsafe void RemoveIfStale(string path, byte[] bytes)
    {
        fixed (byte* p = bytes)
        {
            if (!DescriptorIo.TryStat(Libc.AT_FDCWD, p, Libc.AT_SYMLINK_NOFOLLOW, out var mode, out _, out _, "statx", path))
            {
                return; // gone in the meantime: bind again
            }

            if ((mode & Libc.S_IFMT) != Libc.S_IFSOCK)
            {
                throw new PosixException("bind", Errno.EEXIST, path + " exists and is not a socket");
            }
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // Non-blocking, so a live server with a full backlog answers EAGAIN instead of making us wait.
            probe.Blocking = false;
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new PosixException("bind", IpcErrno.EADDRINUSE, path + ": a server is accepting connections there");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain or SocketError.InProgress)
            {
                throw new PosixException("bind", IpcErrno.EADDRINUSE, path + ": a server is listening there");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: the file is a leftover of a server that died.
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable || e.NativeErrorCode == Errno.ENOENT)
            {
                return;
            }
        }

        fixed (byte* p = bytes)
        {
            if (Libc.unlink(p) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != Errno.ENOENT)
            {
                throw new PosixException("unlink", errno, path + " (stale socket)");
            }
        }
    }

    private static unsafe void SetSocketMode(Socket socket, uint mode)
    {
        var added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            if (Libc.fchmod((int)socket.SafeHandle.DangerousGetHandle(), mode) != 0)
            {
                throw PosixException.FromLastError("fchmod");
            }
        }
        finally
        {
            socket.SafeHandle.DangerousRelease();
        }
    }

    private static byte[] CheckPath(string path, string parameterName)
    {
        var bytes = NativeStrings.ToNullTerminatedUtf8(path, parameterName);
        if (bytes.Length > MaxPathBytes)
        {
            throw new ArgumentException(
                "The address is " + (bytes.Length - 1) + " bytes in UTF-8; a unix socket address holds at most " + (MaxPathBytes - 1) + ".",
                parameterName);
        }

        return bytes;
    }
}
