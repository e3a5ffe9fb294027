using System;
using System.Diagnostics;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.Versioning;
using SafePosix;

[assembly: SupportedOSPlatform("linux")]

// Usage: SafePosix.Bench.Runtime <path to the compiled C floor> [iterations]
//        SafePosix.Bench.Runtime buffered [megabytes] [rounds]
// Each contender spawns /bin/true and waits for it, `iterations` times in total after a warm-up; wall-clock time.
if (args.Length >= 1 && args[0] == "buffered")
{
    return await BufferedBench.Run(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15);
}

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: SafePosix.Bench.Runtime <spawn_floor binary> [iterations]");
    return 2;
}

var floorBinary = args[0];
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3000;

// The machine is shared (builds, other suites), so load drifts during a run. Rather than timing each contender in
// one long block, the run is split into rounds; each round times every contender once, in rotating order, and the
// table reports each contender's median round. Ratios then compare contenders measured under the same load.
const int Rounds = 10;
var perRound = Math.Max(1, iterations / Rounds);

void SafePosixSync()
{
    using var child = ChildProcess.Start("/bin/true");
    if (!child.WaitForExit().Succeeded)
    {
        throw new InvalidOperationException("/bin/true failed");
    }
}

void SafePosixAsync()
{
    using var child = ChildProcess.Start("/bin/true");
    if (!child.WaitForExitAsync().GetAwaiter().GetResult().Succeeded)
    {
        throw new InvalidOperationException("/bin/true failed");
    }
}

void ProcessStart()
{
    using var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
    child.WaitForExit();
    if (child.ExitCode != 0)
    {
        throw new InvalidOperationException("/bin/true failed");
    }
}

double TimeManaged(Action spawnAndWait, int count)
{
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        spawnAndWait();
    }

    return clock.Elapsed.TotalSeconds;
}

double TimeFloor(int count)
{
    // The C loop times itself, so its own process start-up is not counted.
    var options = new SpawnOptions(floorBinary, count.ToString(CultureInfo.InvariantCulture)) { StandardOutput = ChildStdio.Pipe };
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

var contenders = new (string Name, Func<int, double> Time)[]
{
    ("C posix_spawn + waitpid (floor)", TimeFloor),
    ("SafePosix ChildProcess (sync wait)", count => TimeManaged(SafePosixSync, count)),
    ("SafePosix ChildProcess (async wait)", count => TimeManaged(SafePosixAsync, count)),
    ("System.Diagnostics.Process.Start", count => TimeManaged(ProcessStart, count)),
};

foreach (var contender in contenders)
{
    contender.Time(Math.Max(50, perRound / 2)); // warm-up: JIT, page cache, the poller thread
}

var samples = contenders.Select(_ => new List<double>()).ToArray();
for (var round = 0; round < Rounds; round++)
{
    for (var k = 0; k < contenders.Length; k++)
    {
        var index = (round + k) % contenders.Length;
        samples[index].Add(contenders[index].Time(perRound) / perRound);
    }
}

double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
}

var floor = Median(samples[0]);
Console.WriteLine("spawn + wait of /bin/true: " + Rounds + " rounds of " + perRound + " per contender, median round, " + Environment.ProcessorCount + " cores");
Console.WriteLine();
Console.WriteLine("| contender                           | µs / spawn | spawns / s | × C floor |");
Console.WriteLine("|-------------------------------------|-----------:|-----------:|----------:|");
for (var k = 0; k < contenders.Length; k++)
{
    var perSpawn = Median(samples[k]);
    Console.WriteLine(string.Format(
        CultureInfo.InvariantCulture,
        "| {0,-35} | {1,10:F1} | {2,10:F0} | {3,9:F2} |",
        contenders[k].Name,
        perSpawn * 1e6,
        1 / perSpawn,
        perSpawn / floor));
}

return 0;
