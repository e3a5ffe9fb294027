using System.Linq;
using SafePosix.Analyzers.Surfaces;
using Xunit;

namespace SafePosix.Analyzers.Tests.Surfaces;

/// <summary>A set tests a resolved call by its function's number; the answer must be the one its names give.</summary>
public sealed class FunctionSetTests
{
    private static readonly FunctionSet Waits = FunctionSet.Of(new[] { "wait", "waitpid", "wait4" });

    [Fact]
    public void EveryMatchedFunction_IsInTheSetByNumberExactlyWhenItIsByName()
    {
        foreach (var function in MatchedFunctions.All)
        {
            var call = new LibcCall(function, PosixSurface.OwnInterop);

            Assert.Equal(Waits.Contains(function), Waits.Contains(call));
        }
    }

    [Fact]
    public void EveryMatchedFunction_HasItsOwnNumber()
    {
        var numbers = MatchedFunctions.All.Select(MatchedFunctions.IdOf).ToList();

        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        Assert.All(numbers, number => Assert.InRange(number, 0, MatchedFunctions.Count - 1));
    }

    [Fact]
    public void FunctionNoRuleMatches_IsInNoNumberedSet()
    {
        var call = new LibcCall("getpid", PosixSurface.Tmds);

        Assert.Equal(-1, call.FunctionId);
        Assert.False(Waits.Contains(call));
    }

    [Fact]
    public void NoCall_IsInNoSet()
    {
        var everything = FunctionSet.Of(MatchedFunctions.All);

        Assert.Equal(-1, default(LibcCall).FunctionId);
        Assert.False(everything.Contains(default(LibcCall)));
    }

    [Fact]
    public void SetWithANameNoRuleMatches_TestsCallsByName()
    {
        var set = FunctionSet.Of(new[] { "getpid", "waitpid" });

        Assert.True(set.Contains(new LibcCall("getpid", PosixSurface.OwnInterop)));
        Assert.True(set.Contains(new LibcCall("waitpid", PosixSurface.OwnInterop)));
        Assert.False(set.Contains(new LibcCall("wait", PosixSurface.OwnInterop)));
    }
}
