
namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// The functions that return how many bytes they moved (or -1): PSX4003's calls, and the ones whose wrappers
/// (<c>static long Write(int fd, byte* b, long n) =&gt; write(fd, b, n);</c>) the method summaries follow.
/// </summary>
internal static class ByteCountFunctions
{
    public static readonly FunctionSet Writes = PosixSurfaces.Functions(
        "write", "pwrite", "pwrite64", "writev", "pwritev", "send", "sendto", "sendmsg", "sendfile", "sendfile64", "splice");

    public static readonly FunctionSet Reads = PosixSurfaces.Functions(
        "read", "pread", "pread64", "readv", "preadv", "recv", "recvfrom", "recvmsg");

    public static readonly FunctionSet All = Writes.Union(Reads);
}
