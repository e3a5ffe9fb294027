using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace SafePosix;

/// <summary>
/// <c>a | b | c</c> without a shell: each stage's stdout is connected to the next stage's stdin by a real pipe
/// between the children (no copy through this process), and each stage's status is kept, not only the last one.
/// </summary>
public sealed class Pipeline : IDisposable
{
    private Pipeline(IReadOnlyList<ChildProcess> stages) => Stages = stages;

    /// <summary>The children, in pipeline order.</summary>
    public IReadOnlyList<ChildProcess> Stages { get; }

    /// <summary>The first stage's stdin when its <see cref="SpawnOptions.StandardInput"/> is a pipe; otherwise null.</summary>
    public Stream? StandardInput => Stages[0].StandardInput;

    /// <summary>The last stage's stdout when its <see cref="SpawnOptions.StandardOutput"/> is a pipe; otherwise null.</summary>
    public Stream? StandardOutput => Stages[^1].StandardOutput;

    /// <summary>
    /// Starts the stages. The first stage's stdin, the last stage's stdout and every stage's stderr are taken from
    /// its options; the stdout of every stage but the last and the stdin of every stage but the first are replaced by
    /// the connecting pipes (the options are not modified). The parent's copies of the pipe ends are closed as soon
    /// as both neighbours have them, so a stage sees end-of-file or SIGPIPE exactly as in a shell.
    /// </summary>
    /// <param name="stages">Two or more stages.</param>
    /// <returns>The running pipeline.</returns>
    /// <exception cref="ArgumentException">Fewer than two stages, or a null stage.</exception>
    /// <exception cref="PosixException">A stage could not be started; the stages already started are killed and reaped.</exception>
    public static Pipeline Start(params SpawnOptions[] stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        if (stages.Length < 2)
        {
            throw new ArgumentException("A pipeline needs at least two stages.", nameof(stages));
        }

        foreach (var stage in stages)
        {
            if (stage is null)
            {
                throw new ArgumentException("A stage is null.", nameof(stages));
            }
        }

        var started = new List<ChildProcess>(stages.Length);
        SafeFileDescriptor? previousRead = null;
        try
        {
            for (var i = 0; i < stages.Length; i++)
            {
                var options = stages[i].Clone();
                SafeFileDescriptor? nextRead = null;
                SafeFileDescriptor? write = null;
                if (i < stages.Length - 1)
                {
                    SafeFileDescriptor.CreatePipe(out nextRead, out write);
                    options.StandardOutput = ChildStdio.From(write);
                }

                if (previousRead is not null)
                {
                    options.StandardInput = ChildStdio.From(previousRead);
                }

                try
                {
                    started.Add(ChildProcess.Start(options));
                }
                catch
                {
                    nextRead?.Dispose();
                    throw;
                }
                finally
                {
                    write?.Dispose();
                    previousRead?.Dispose();
                    previousRead = null;
                }

                previousRead = nextRead;
            }
        }
        catch
        {
            previousRead?.Dispose();
            foreach (var child in started)
            {
                child.Kill();
                child.WaitForExit();
                child.Dispose();
            }

            throw;
        }

        return new Pipeline(started);
    }

    /// <summary>Waits for every stage and returns their statuses in pipeline order.</summary>
    public ExitStatus[] WaitForExit()
    {
        var statuses = new ExitStatus[Stages.Count];
        for (var i = 0; i < statuses.Length; i++)
        {
            statuses[i] = Stages[i].WaitForExit();
        }

        return statuses;
    }

    /// <summary>Waits asynchronously for every stage and returns their statuses in pipeline order.</summary>
    /// <param name="cancellationToken">Cancels the wait, not the stages.</param>
    public async Task<ExitStatus[]> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        var waits = new Task<ExitStatus>[Stages.Count];
        for (var i = 0; i < waits.Length; i++)
        {
            waits[i] = Stages[i].WaitForExitAsync(cancellationToken);
        }

        return await Task.WhenAll(waits).ConfigureAwait(false);
    }

    /// <summary>Disposes every stage (see <see cref="ChildProcess.Dispose"/>: no kill, background reaping).</summary>
    public void Dispose()
    {
        foreach (var stage in Stages)
        {
            stage.Dispose();
        }
    }
}
