using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using SafePosix;

[assembly: SupportedOSPlatform("linux")]

// Usage: SafePosix.Bench.Runtime <path to the compiled C floor> [iterations]
// Each contender spawns /bin/true and waits for it, `iterations` times after a warm-up; one run, wall-clock time.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: SafePosix.Bench.Runtime <spawn_floor binary> [iterations]");
    return 2;
}

var floorBinary = args[0];
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3000;
var warmUp = Math.Max(50, iterations / 20);

double Measure(Action spawnAndWait)
{
    for (var i = 0; i < warmUp; i++)
    {
        spawnAndWait();
    }

    var clock = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        spawnAndWait();
    }

    return clock.Elapsed.TotalSeconds;
}

double MeasureFloor()
{
    // The C loop times itself, so its process start-up is not counted.
    var options = new SpawnOptions(floorBinary, iterations.ToString(CultureInfo.InvariantCulture)) { StandardOutput = ChildStdio.Pipe };
    using var child = ChildProcess.Start(options);
    using var reader = new System.IO.StreamReader(child.StandardOutput!);
    var text = reader.ReadToEnd();
    var status = child.WaitForExit();
    if (!status.Succeeded)
    {
        throw new InvalidOperationException("C floor " + status);
    }

    return double.Parse(text, CultureInfo.InvariantCulture);
}

var safePosix = Measure(() =>
{
    using var child = ChildProcess.Start("/bin/true");
    if (!child.WaitForExit().Succeeded)
    {
        throw new InvalidOperationException("/bin/true failed");
    }
});

var safePosixAsync = Measure(() =>
{
    using var child = ChildProcess.Start("/bin/true");
    if (!child.WaitForExitAsync().GetAwaiter().GetResult().Succeeded)
    {
        throw new InvalidOperationException("/bin/true failed");
    }
});

var processStart = Measure(() =>
{
    using var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
    child.WaitForExit();
    if (child.ExitCode != 0)
    {
        throw new InvalidOperationException("/bin/true failed");
    }
});

MeasureFloor(); // warm the page cache for the C binary too
var floor = MeasureFloor();

Console.WriteLine("spawn + wait of /bin/true, " + iterations + " iterations each, " + Environment.ProcessorCount + " cores");
Console.WriteLine();
Console.WriteLine("| contender                           | total s | µs / spawn | spawns / s | × C floor |");
Console.WriteLine("|-------------------------------------|--------:|-----------:|-----------:|----------:|");
void Row(string name, double seconds) => Console.WriteLine(string.Format(
    CultureInfo.InvariantCulture,
    "| {0,-35} | {1,7:F2} | {2,10:F1} | {3,10:F0} | {4,9:F2} |",
    name,
    seconds,
    seconds / iterations * 1e6,
    iterations / seconds,
    seconds / floor));
Row("C posix_spawn + waitpid (floor)", floor);
Row("SafePosix ChildProcess (sync wait)", safePosix);
Row("SafePosix ChildProcess (async wait)", safePosixAsync);
Row("System.Diagnostics.Process.Start", processStart);
return 0;
