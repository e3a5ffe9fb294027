// A small program with the POSIX mistakes SafePosix exists to catch, each one seen in real projects.
// `dotnet build samples/Showcase --no-incremental` shows every warning with its rule page.
// The program also runs: it maps an anonymous page, the happy path, and prints what it did.
using System;

// The mistakes are Linux code: without this, CA1416 adds platform warnings to the build the README shows.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Showcase;

internal static class Program
{
    private static int Main()
    {
        Console.WriteLine("SafePosix showcase: build this project to see the analyzers' warnings.");
        Console.WriteLine($"Anonymous mapping through a raw P/Invoke: first byte {MappingMistakes.MapAnonymousPage()}");
        return 0;
    }
}
