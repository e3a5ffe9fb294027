namespace SafePosix.Ipc;

/// <summary>
/// Who is at the other end of a unix socket (SO_PEERCRED): the process, user and group the kernel recorded when the
/// peer called connect, listen or socketpair. The kernel vouches for these; they cannot be forged by the peer.
/// </summary>
/// <param name="ProcessId">The peer's pid (in our pid namespace; 0 if it has none there).</param>
/// <param name="UserId">The peer's effective uid.</param>
/// <param name="GroupId">The peer's effective gid.</param>
public readonly record struct PeerCredentials(int ProcessId, uint UserId, uint GroupId);
