using SafePosix.Analyzers.Surfaces;
using Xunit;

namespace SafePosix.Analyzers.Tests.Surfaces;

/// <summary>The name test every invocation meets in a project with a native call: which names may read errno.</summary>
public sealed class ErrnoNameTests
{
    [Theory]
    [InlineData("__errno_location")]
    [InlineData("errno")]
    [InlineData("Errno")]
    [InlineData("GetERRNO")]
    [InlineData("read_ErRnO_now")]
    [InlineData("GetLastWin32Error")]
    [InlineData("GetLastPInvokeError")]
    public void NamesThatMayReadErrno(string name) => Assert.True(ErrnoSurfaces.MayReadErrno(name));

    [Theory]
    [InlineData("")]
    [InlineData("errn")]
    [InlineData("Errorno")]
    [InlineData("GetLastErrorCode")]
    [InlineData("ToString")]
    [InlineData("e\u0152rno")]
    public void NamesThatCannot(string name) => Assert.False(ErrnoSurfaces.MayReadErrno(name));
}
