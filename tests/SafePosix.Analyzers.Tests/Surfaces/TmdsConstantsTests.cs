using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using SafePosix.Analyzers.Surfaces;
using Xunit;

namespace SafePosix.Analyzers.Tests.Surfaces;

/// <summary>
/// Tmds.LibC exposes PROT_, MAP_, O_ and IORING_OFF_ values as properties, which the analyzers cannot read from the
/// code; they keep a table of them. Each entry is read here from the package's own linux-x64 implementation.
/// </summary>
public sealed class TmdsConstantsTests
{
    [Fact]
    public void EveryKnownProperty_HasTheValueThePackageReturns()
    {
        // The linux-x64 build's getters return constants: its IL loads and answers on any host.
        var context = new AssemblyLoadContext("tmds", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "bindings", "linux-x64", "Tmds.LibC.dll"));
            var libc = assembly.GetType("Tmds.Linux.LibC", throwOnError: true)!;
            var wrong = MappingValues.KnownTmdsProperties
                .Select(pair => (pair.Key, Expected: pair.Value, Actual: ValueOf(libc, pair.Key)))
                .Where(entry => entry.Actual != entry.Expected)
                .Select(entry => $"{entry.Key}: table {entry.Expected:x}, package {entry.Actual:x}")
                .ToList();

            Assert.NotEmpty(MappingValues.KnownTmdsProperties);
            Assert.True(wrong.Count == 0, string.Join("; ", wrong));
        }
        finally
        {
            context.Unload();
        }
    }

    private static long? ValueOf(Type libc, string name)
        => libc.GetProperty(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null) switch
        {
            ulong unsigned => unchecked((long)unsigned),
            { } value => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
            null => null,
        };
}
