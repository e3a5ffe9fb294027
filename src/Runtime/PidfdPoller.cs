using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>
/// Completes tasks when pidfds become readable (the process exited), for every child in the process, with one
/// shared thread blocked in epoll_wait(2).
/// </summary>
/// <remarks>
/// <para>Why a thread of our own: .NET has no public way to add an arbitrary descriptor to its socket engine's
/// epoll, and <see cref="ThreadPool.RegisterWaitForSingleObject(WaitHandle, WaitOrTimerCallback, object, int, bool)"/>
/// needs a WaitHandle, which on Unix is not a descriptor. A thread per child would cost a stack per child, and a
/// SIGCHLD handler would compete with the runtime's own. One thread for the whole process, created on the first
/// async wait.</para>
/// <para>Why epoll and not poll: each pidfd is watched once however many waits are pending on it (two per child
/// is the normal pattern: a wait, then Dispose's background reap), there is no limit tied to RLIMIT_NOFILE (poll
/// fails with EINVAL beyond it, which once made every async wait in the process hang), and adding or removing a
/// watch needs no wake-up of the blocked thread.</para>
/// <para>A failure of epoll_wait itself other than EINTR is not retried forever: every pending wait fails with
/// the <see cref="PosixException"/>, the poller retires, and callers fall back to polling the child.</para>
/// </remarks>
internal sealed unsafe class PidfdPoller
{
    private static readonly object CreationGate = new();
    private static PidfdPoller? s_shared;

    private readonly object _gate = new();
    private readonly Dictionary<long, Watch> _watchesById = new();
    private readonly Dictionary<SafeFileDescriptor, Watch> _watchesByHandle = new(ReferenceEqualityComparer.Instance);
    private readonly SafeFileDescriptor _epoll;
    private long _nextId;
    private PosixException? _failure;

    private PidfdPoller()
    {
        var fd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (fd < 0)
        {
            throw PosixException.FromLastError("epoll_create1");
        }

        _epoll = new SafeFileDescriptor(fd, ownsHandle: true);
        try
        {
            var thread = new Thread(Run) { IsBackground = true, Name = "SafePosix pidfd poller" };
            thread.Start();
        }
        catch
        {
            _epoll.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The process-wide poller, created on first use. Not a <see cref="Lazy{T}"/>: Lazy with
    /// ExecutionAndPublication caches a factory exception forever, so one transient EMFILE from epoll_create1 would
    /// make every later async wait in the process fail; here a failed creation is simply tried again next time.
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

    /// <summary>Test hook: how many distinct pidfds are being watched.</summary>
    internal int WatchCount
    {
        get
        {
            lock (_gate)
            {
                return _watchesById.Count;
            }
        }
    }

    /// <summary>
    /// Completes when <paramref name="pidfd"/> is readable; cancels with <paramref name="cancellationToken"/>.
    /// Fails with <see cref="PosixException"/> when the descriptor cannot be watched (epoll_ctl) or the poller
    /// has failed; the caller then falls back to polling.
    /// </summary>
    internal Task WhenReadable(SafeFileDescriptor pidfd, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var registration = new Registration();
        lock (_gate)
        {
            if (_failure is not null)
            {
                return Task.FromException(_failure);
            }

            if (!_watchesByHandle.TryGetValue(pidfd, out var watch))
            {
                // The reference keeps the descriptor number from being closed and reused while it is in the epoll set.
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

                watch = new Watch(pidfd, ++_nextId);
                var epollEvent = stackalloc byte[16];
                *(uint*)epollEvent = Libc.EPOLLIN;
                *(long*)(epollEvent + Libc.EpollDataOffset) = watch.Id;
                if (Libc.epoll_ctl(_epoll.DangerousGetDescriptor(), Libc.EPOLL_CTL_ADD, pidfd.DangerousGetDescriptor(), epollEvent) != 0)
                {
                    var error = PosixException.FromLastError("epoll_ctl(EPOLL_CTL_ADD)");
                    pidfd.DangerousRelease();
                    return Task.FromException(error);
                }

                _watchesById.Add(watch.Id, watch);
                _watchesByHandle.Add(pidfd, watch);
            }

            registration.Watch = watch;
            watch.Waiters.Add(registration);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var cancellation = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (poller, entry) = ((PidfdPoller, Registration))state!;
                    if (poller.Remove(entry))
                    {
                        entry.Completion.TrySetCanceled(token);
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

    /// <summary>Takes one waiter off its watch (cancellation); the last waiter out removes the watch.</summary>
    private bool Remove(Registration registration)
    {
        CancellationTokenRegistration cancellation;
        lock (_gate)
        {
            var watch = registration.Watch!;
            if (registration.Removed || !watch.Waiters.Remove(registration))
            {
                return false;
            }

            registration.Removed = true;
            cancellation = registration.Cancellation;
            if (watch.Waiters.Count == 0)
            {
                DropWatch(watch);
            }
        }

        cancellation.Unregister();
        return true;
    }

    /// <summary>Removes a watch from the epoll set and releases its pidfd. Call with the lock held.</summary>
    private void DropWatch(Watch watch)
    {
        _watchesById.Remove(watch.Id);
        _watchesByHandle.Remove(watch.Pidfd);

        // Deleting before the release: once released, the number may be closed and given to another descriptor.
        Libc.epoll_ctl(_epoll.DangerousGetDescriptor(), Libc.EPOLL_CTL_DEL, watch.Pidfd.DangerousGetDescriptor(), null);
        watch.Pidfd.DangerousRelease();
    }

    private void Run()
    {
        const int batch = 64;
        var events = new byte[batch * Libc.EpollEventSize];
        var ready = new List<Registration>();
        while (true)
        {
            int count;
            fixed (byte* buffer = events)
            {
                count = Libc.epoll_wait(_epoll.DangerousGetDescriptor(), buffer, batch, -1);
            }

            if (count < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == Errno.EINTR)
                {
                    continue;
                }

                Retire(new PosixException("epoll_wait", error, "shared pidfd poller"));
                return;
            }

            lock (_gate)
            {
                for (var i = 0; i < count; i++)
                {
                    long id;
                    fixed (byte* entry = &events[i * Libc.EpollEventSize])
                    {
                        id = *(long*)(entry + Libc.EpollDataOffset);
                    }

                    // A watch removed by cancellation after epoll_wait returned is simply gone.
                    if (!_watchesById.TryGetValue(id, out var watch))
                    {
                        continue;
                    }

                    // Readable means exited; EPOLLHUP/EPOLLERR also end the wait so the waiter re-checks with waitid.
                    foreach (var waiter in watch.Waiters)
                    {
                        waiter.Removed = true;
                        ready.Add(waiter);
                    }

                    watch.Waiters.Clear();
                    DropWatch(watch);
                }
            }

            foreach (var waiter in ready)
            {
                waiter.Cancellation.Unregister();
                waiter.Completion.TrySetResult();
            }

            ready.Clear();
        }
    }

    /// <summary>Fails every pending wait and stops being the shared poller; the next wait creates a new one.</summary>
    private void Retire(PosixException failure)
    {
        var failed = new List<Registration>();
        lock (_gate)
        {
            _failure = failure;
            foreach (var watch in _watchesById.Values)
            {
                foreach (var waiter in watch.Waiters)
                {
                    waiter.Removed = true;
                    failed.Add(waiter);
                }

                watch.Waiters.Clear();
                watch.Pidfd.DangerousRelease();
            }

            _watchesById.Clear();
            _watchesByHandle.Clear();
        }

        lock (CreationGate)
        {
            if (ReferenceEquals(s_shared, this))
            {
                s_shared = null;
            }
        }

        foreach (var waiter in failed)
        {
            waiter.Cancellation.Unregister();
            waiter.Completion.TrySetException(failure);
        }

        _epoll.Dispose();
    }

    private sealed class Watch(SafeFileDescriptor pidfd, long id)
    {
        internal SafeFileDescriptor Pidfd { get; } = pidfd;

        internal long Id { get; } = id;

        internal List<Registration> Waiters { get; } = new();
    }

    private sealed class Registration
    {
        internal Watch? Watch { get; set; }

        internal TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Read and written under the poller's lock.</summary>
        internal CancellationTokenRegistration Cancellation { get; set; }

        /// <summary>Set under the poller's lock when the entry leaves its watch.</summary>
        internal bool Removed { get; set; }
    }
}
