using System.IO;
using SafePosix;
using Xunit;

namespace SafePosix.Runtime.Tests;

public class SmokeTests
{
    [Fact]
    public void TrueExitsZero()
    {
        using var child = ChildProcess.Start("/bin/true");
        Assert.Equal(ExitStatus.Exited(0), child.WaitForExit());
    }

    [Fact]
    public void EchoThroughPipe()
    {
        var options = new SpawnOptions("echo", "hello") { StandardOutput = ChildStdio.Pipe };
        using var child = ChildProcess.Start(options);
        using var reader = new StreamReader(child.StandardOutput!);
        Assert.Equal("hello\n", reader.ReadToEnd());
        Assert.True(child.WaitForExit().Succeeded);
        Assert.True(child.UsesPidfd);
    }
}
