using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using CliWrap;
using CliWrap.Buffered;
using SafePosix;

/// <summary>
/// A child that prints N MB of text (cat of a file written once), read completely as strings (stdout and stderr)
/// with the exit status, by three contenders: SafePosix RunAsync, Process with ReadToEndAsync on both streams, and
/// CliWrap's ExecuteBufferedAsync. Rounds rotate the order; the table shows each contender's median round.
/// </summary>
internal static class BufferedBench
{
    internal static async Task<int> Run(int megabytes, int rounds)
    {
        var file = Path.Combine(Path.GetTempPath(), "safeposix-bench-" + Environment.ProcessId + ".txt");
        var line = Encoding.ASCII.GetBytes("0123456789 the quick brown fox jumps over the lazy dog 0123456789\n");
        await using (var stream = File.Create(file))
        {
            for (long written = 0; written < megabytes * 1_000_000L; written += line.Length)
            {
                stream.Write(line);
            }
        }

        var expected = new FileInfo(file).Length;
        try
        {
            var contenders = new (string Name, Func<Task<long>> Run)[]
            {
                ("SafePosix ChildProcess.RunAsync", async () =>
                {
                    var result = await ChildProcess.RunAsync(new SpawnOptions("/bin/cat", file));
                    return Check(result.Status.Succeeded, result.StandardOutput.Length + result.StandardError.Length);
                }),
                ("Process + ReadToEndAsync (both)", async () =>
                {
                    using var process = Process.Start(new ProcessStartInfo("/bin/cat", [file])
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false,
                    })!;
                    var stdout = process.StandardOutput.ReadToEndAsync();
                    var stderr = process.StandardError.ReadToEndAsync();
                    await process.WaitForExitAsync();
                    return Check(process.ExitCode == 0, (await stdout).Length + (await stderr).Length);
                }),
                ("CliWrap ExecuteBufferedAsync", async () =>
                {
                    var result = await Cli.Wrap("/bin/cat").WithArguments([file]).ExecuteBufferedAsync();
                    return Check(result.IsSuccess, result.StandardOutput.Length + result.StandardError.Length);
                }),
            };

            foreach (var contender in contenders)
            {
                if (await contender.Run() != expected)
                {
                    throw new InvalidOperationException(contender.Name + " lost data");
                }
            }

            var samples = contenders.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < contenders.Length; k++)
                {
                    var index = (round + k) % contenders.Length;
                    var clock = Stopwatch.StartNew();
                    await contenders[index].Run();
                    samples[index].Add(clock.Elapsed.TotalSeconds);
                }
            }

            var baseline = Median(samples[0]);
            Console.WriteLine("buffered run of cat printing " + megabytes + " MB (" + expected + " bytes) to strings: " + rounds + " rounds, median round, " + Environment.ProcessorCount + " cores");
            Console.WriteLine();
            Console.WriteLine("| contender                          |    ms | MB/s | × SafePosix |");
            Console.WriteLine("|------------------------------------|------:|-----:|------------:|");
            for (var k = 0; k < contenders.Length; k++)
            {
                var seconds = Median(samples[k]);
                Console.WriteLine(string.Format(
                    CultureInfo.InvariantCulture,
                    "| {0,-34} | {1,5:F0} | {2,4:F0} | {3,11:F2} |",
                    contenders[k].Name,
                    seconds * 1000,
                    expected / 1e6 / seconds,
                    seconds / baseline));
            }

            return 0;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static long Check(bool succeeded, long length) =>
        succeeded ? length : throw new InvalidOperationException("cat failed");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }
}
