using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>
/// Completes tasks when pidfds become readable (the process exited), for every child in the process, with one
/// shared thread blocked in poll(2).
/// </summary>
/// <remarks>
/// Why a thread of our own: .NET has no public way to add an arbitrary descriptor to its socket engine's epoll,
/// and <see cref="ThreadPool.RegisterWaitForSingleObject(WaitHandle, WaitOrTimerCallback, object, int, bool)"/>
/// needs a WaitHandle, which on Unix is not a descriptor. A thread per child would cost a stack per child, and a
/// SIGCHLD handler would compete with the runtime's own. One poller thread waiting on all pidfds plus an eventfd
/// (to be woken when the set changes) costs one thread for the whole process, created on the first async wait.
/// poll rather than epoll: the set is rebuilt only when it changes, and poll needs no per-architecture struct
/// layout (epoll_event is packed on x86-64 only).
/// </remarks>
internal sealed unsafe class PidfdPoller
{
    private static readonly object CreationGate = new();
    private static PidfdPoller? s_shared;

    private readonly object _gate = new();
    private readonly List<Registration> _registrations = new();
    private readonly SafeFileDescriptor _wakeEvent;

    private PidfdPoller()
    {
        var fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            throw PosixException.FromLastError("eventfd");
        }

        _wakeEvent = new SafeFileDescriptor(fd, ownsHandle: true);
        try
        {
            var thread = new Thread(Run) { IsBackground = true, Name = "SafePosix pidfd poller" };
            thread.Start();
        }
        catch
        {
            _wakeEvent.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The process-wide poller, created on first use. Not a <see cref="Lazy{T}"/>: Lazy with
    /// ExecutionAndPublication caches a factory exception forever, so one transient EMFILE from eventfd would make
    /// every later async wait in the process fail; here a failed creation is simply tried again next time.
    /// </summary>
    internal static PidfdPoller Instance
    {
        get
        {
            var poller = Volatile.Read(ref s_shared);
            if (poller is not null)
            {
                return poller;
            }

            lock (CreationGate)
            {
                return s_shared ??= new PidfdPoller();
            }
        }
    }

    /// <summary>Completes when <paramref name="pidfd"/> is readable; cancels with <paramref name="cancellationToken"/>.</summary>
    internal Task WhenReadable(SafeFileDescriptor pidfd, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var registration = new Registration(pidfd);

        // The reference keeps the descriptor number from being closed and reused while the poller may use it.
        var added = false;
        try
        {
            pidfd.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            // The child object closes its pidfd only after the final status is known: let the caller re-check.
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            _registrations.Add(registration);
        }

        Wake();
        if (cancellationToken.CanBeCanceled)
        {
            var cancellation = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (poller, entry) = ((PidfdPoller, Registration))state!;
                    if (poller.Remove(entry))
                    {
                        entry.Completion.TrySetCanceled(token);
                        poller.Wake();
                    }
                },
                (this, registration));

            // The poller may have completed and removed the entry before the registration existed; then Remove
            // could not unregister it, and a long-lived token would keep one callback per such wait forever.
            bool removed;
            lock (_gate)
            {
                registration.Cancellation = cancellation;
                removed = registration.Removed;
            }

            if (removed)
            {
                cancellation.Unregister();
            }
        }

        return registration.Completion.Task;
    }

    private bool Remove(Registration registration)
    {
        CancellationTokenRegistration cancellation;
        lock (_gate)
        {
            if (!_registrations.Remove(registration))
            {
                return false;
            }

            registration.Removed = true;
            cancellation = registration.Cancellation;
        }

        cancellation.Unregister();
        registration.Pidfd.DangerousRelease();
        return true;
    }

    private void Wake()
    {
        ulong one = 1;
        // EAGAIN means the counter is already non-zero, i.e. a wake-up is already pending: nothing to do.
        Libc.write(_wakeEvent.DangerousGetDescriptor(), (byte*)&one, sizeof(ulong));
    }

    private void Run()
    {
        var wakeFd = _wakeEvent.DangerousGetDescriptor();
        var snapshot = Array.Empty<Registration>();
        var pollSet = new Libc.PollFd[1];
        while (true)
        {
            lock (_gate)
            {
                if (snapshot.Length != _registrations.Count || !MatchesSnapshot(snapshot))
                {
                    snapshot = _registrations.ToArray();
                }
            }

            if (pollSet.Length < snapshot.Length + 1)
            {
                pollSet = new Libc.PollFd[Math.Max(snapshot.Length + 1, pollSet.Length * 2)];
            }

            pollSet[0] = new Libc.PollFd { Fd = wakeFd, Events = Libc.POLLIN };
            for (var i = 0; i < snapshot.Length; i++)
            {
                pollSet[i + 1] = new Libc.PollFd { Fd = snapshot[i].Pidfd.DangerousGetDescriptor(), Events = Libc.POLLIN };
            }

            int ready;
            fixed (Libc.PollFd* fds = pollSet)
            {
                ready = Libc.poll(fds, (nuint)(snapshot.Length + 1), -1);
            }

            if (ready < 0)
            {
                // EINTR is routine; anything else (ENOMEM) is transient for poll, so back off briefly and retry.
                if (Marshal.GetLastPInvokeError() != Errno.EINTR)
                {
                    Thread.Sleep(10);
                }

                continue;
            }

            if (pollSet[0].Revents != 0)
            {
                ulong drained;
                Libc.read(wakeFd, (byte*)&drained, sizeof(ulong));
            }

            for (var i = 0; i < snapshot.Length; i++)
            {
                // POLLIN means exited; POLLHUP/POLLERR/POLLNVAL also end the wait so the waiter re-checks
                // with waitid rather than hanging.
                if (pollSet[i + 1].Revents != 0 && Remove(snapshot[i]))
                {
                    snapshot[i].Completion.TrySetResult();
                }
            }
        }
    }

    private bool MatchesSnapshot(Registration[] snapshot)
    {
        for (var i = 0; i < snapshot.Length; i++)
        {
            if (!ReferenceEquals(snapshot[i], _registrations[i]))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Registration
    {
        internal Registration(SafeFileDescriptor pidfd) => Pidfd = pidfd;

        internal SafeFileDescriptor Pidfd { get; }

        internal TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Read and written under the poller's lock.</summary>
        internal CancellationTokenRegistration Cancellation { get; set; }

        /// <summary>Set under the poller's lock when the entry leaves the list.</summary>
        internal bool Removed { get; set; }
    }
}
