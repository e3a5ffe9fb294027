using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace SafePosix;

/// <summary>Which output a line came from.</summary>
public enum OutputSource
{
    /// <summary>The child's stdout.</summary>
    StandardOutput,

    /// <summary>The child's stderr.</summary>
    StandardError,
}

/// <summary>One line of a child's output, without its line ending.</summary>
/// <param name="Source">stdout or stderr.</param>
/// <param name="Text">The line, decoded as UTF-8.</param>
public readonly record struct OutputLine(OutputSource Source, string Text);

/// <summary>What <see cref="ChildProcess.RunAsync"/> collected.</summary>
public sealed class RunResult
{
    internal RunResult(ExitStatus status, byte[] standardOutput, byte[] standardError)
    {
        Status = status;
        StandardOutputBytes = standardOutput;
        StandardErrorBytes = standardError;
    }

    /// <summary>How the child ended.</summary>
    public ExitStatus Status { get; }

    /// <summary>Everything the child wrote to stdout.</summary>
    public byte[] StandardOutputBytes { get; }

    /// <summary>Everything the child wrote to stderr.</summary>
    public byte[] StandardErrorBytes { get; }

    /// <summary>stdout decoded as UTF-8.</summary>
    public string StandardOutput => Encoding.UTF8.GetString(StandardOutputBytes);

    /// <summary>stderr decoded as UTF-8.</summary>
    public string StandardError => Encoding.UTF8.GetString(StandardErrorBytes);
}

/// <summary>Settings for <see cref="ChildProcess.RunAsync"/>.</summary>
public sealed class RunOptions
{
    /// <summary>Bytes to write to the child's stdin, which is then closed; null gives the child /dev/null.</summary>
    public ReadOnlyMemory<byte>? StandardInput { get; set; }

    /// <summary>Throw <see cref="ChildProcessFailedException"/> when the child does not exit with 0.</summary>
    public bool ThrowOnFailure { get; set; }

    /// <summary>On cancellation: how long the child may take to exit after SIGTERM before SIGKILL. Default 5 s.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>A child run with <see cref="RunOptions.ThrowOnFailure"/> did not exit with 0.</summary>
public sealed class ChildProcessFailedException : Exception
{
    internal ChildProcessFailedException(string program, RunResult result)
        : base(program + " " + result.Status + Tail(result.StandardErrorBytes))
    {
        Result = result;
    }

    /// <summary>Everything collected, status included.</summary>
    public RunResult Result { get; }

    private static string Tail(byte[] standardError)
    {
        if (standardError.Length == 0)
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(standardError, Math.Max(0, standardError.Length - 500), Math.Min(500, standardError.Length)).TrimEnd();
        return ": " + text;
    }
}

/// <summary>Buffered runs and line streaming.</summary>
public sealed partial class ChildProcess
{
    /// <summary>
    /// Starts a child, feeds it <see cref="RunOptions.StandardInput"/>, collects stdout and stderr concurrently
    /// (so a child that writes a lot while we write a lot never deadlocks on a full pipe), and returns everything
    /// with the exit status. The stdio settings of <paramref name="options"/> are replaced by pipes (not modified).
    /// On cancellation the child is stopped (SIGTERM, the grace period, SIGKILL; to its group when it leads one)
    /// and <see cref="OperationCanceledException"/> is thrown once it has ended.
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="run">Input, failure and cancellation settings; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the child.</param>
    /// <returns>Status, stdout and stderr.</returns>
    /// <exception cref="ChildProcessFailedException">The child did not exit with 0 and <see cref="RunOptions.ThrowOnFailure"/> is set.</exception>
    public static async Task<RunResult> RunAsync(SpawnOptions options, RunOptions? run = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        run ??= new RunOptions();
        cancellationToken.ThrowIfCancellationRequested();
        var piped = options.Clone();
        piped.StandardInput = run.StandardInput is null ? ChildStdio.Null : ChildStdio.Pipe;
        piped.StandardOutput = ChildStdio.Pipe;
        piped.StandardError = ChildStdio.Pipe;
        using var child = Start(piped);
        GrowPipe(child.StandardOutput!);
        GrowPipe(child.StandardError!);
        var stdout = CollectAsync(child.StandardOutput!);
        var stderr = CollectAsync(child.StandardError!);
        var stdin = run.StandardInput is { } input ? FeedAsync(child.StandardInput!, input) : Task.CompletedTask;

        ExitStatus status;
        try
        {
            status = await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await child.StopAsync(run.GracePeriod).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            throw;
        }

        // A grandchild may still hold the pipes open; the outputs end when the last writer is gone.
        var result = new RunResult(status, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        await stdin.ConfigureAwait(false);
        if (run.ThrowOnFailure && !status.Succeeded)
        {
            throw new ChildProcessFailedException(options.Program, result);
        }

        return result;
    }

    /// <summary>
    /// The lines of the child's stdout and stderr (whichever are pipes) as they come, each tagged with its source;
    /// ends when both outputs are closed. Reads both concurrently, so neither pipe fills up while the other waits.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration (not the child).</param>
    /// <returns>The lines, in the order each output produced them.</returns>
    /// <exception cref="InvalidOperationException">Neither stdout nor stderr is a pipe.</exception>
    public async IAsyncEnumerable<OutputLine> ReadLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (StandardOutput is null && StandardError is null)
        {
            throw new InvalidOperationException("Neither stdout nor stderr of pid " + Id + " is a pipe: start it with ChildStdio.Pipe.");
        }

        var channel = Channel.CreateUnbounded<OutputLine>(new UnboundedChannelOptions { SingleReader = true });
        var readers = new List<Task>();
        if (StandardOutput is { } output)
        {
            readers.Add(PumpLinesAsync(output, OutputSource.StandardOutput, channel.Writer, cancellationToken));
        }

        if (StandardError is { } error)
        {
            readers.Add(PumpLinesAsync(error, OutputSource.StandardError, channel.Writer, cancellationToken));
        }

        var completion = Task.WhenAll(readers).ContinueWith(
            done => channel.Writer.TryComplete(done.Exception?.InnerException),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        await foreach (var line in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return line;
        }

        await completion.ConfigureAwait(false);
    }

    private static async Task PumpLinesAsync(Stream stream, OutputSource source, ChannelWriter<OutputLine> writer, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16384, leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            await writer.WriteAsync(new OutputLine(source, line), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A 1 MiB pipe instead of the default 64 KiB (F_SETPIPE_SZ): a child printing a lot then blocks, and switches
    /// to us, sixteen times less often. Best effort: beyond /proc/sys/fs/pipe-max-size the kernel says EPERM and the
    /// default stays.
    /// </summary>
    private static void GrowPipe(Stream stream)
    {
        if (stream is System.IO.Pipes.PipeStream pipe)
        {
            Interop.Libc.fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), Interop.Libc.F_SETPIPE_SZ, 1 << 20);
        }
    }

    private static async Task<byte[]> CollectAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, 81920).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task FeedAsync(Stream stream, ReadOnlyMemory<byte> input)
    {
        try
        {
            await stream.WriteAsync(input).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // EPIPE: the child exited or closed stdin without reading everything, which is its right (head -c 1).
        }
        finally
        {
            stream.Dispose();
        }
    }
}
