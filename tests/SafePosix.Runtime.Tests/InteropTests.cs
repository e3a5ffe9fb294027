using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using SafePosix;
using Xunit;

namespace SafePosix.Runtime.Tests;

public class InteropTests
{
    /// <summary>Every libc entry point the library binds, read from its P/Invoke metadata (ImplMap table).</summary>
    private static List<string> ImportedEntryPoints()
    {
        using var stream = File.OpenRead(typeof(ChildProcess).Assembly.Location);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in reader.MethodDefinitions)
        {
            var import = reader.GetMethodDefinition(handle).GetImport();
            if (!import.Name.IsNil)
            {
                names.Add(reader.GetString(import.Name));
            }
        }

        return names;
    }

    [Fact]
    public void BindsNoSymbolThatOlderGlibcDoesNotExport()
    {
        var imports = ImportedEntryPoints();
        Assert.Contains("waitid", imports);

        // glibc exports these as symbols only since 2.33; before, <sys/stat.h> turned them into calls to __xstat & co.
        // A LibraryImport of one of them throws EntryPointNotFoundException on RHEL 8, Debian 11 or Ubuntu 20.04.
        string[] since233 = ["stat", "fstat", "lstat", "fstatat", "stat64", "fstat64", "lstat64", "fstatat64", "mknod", "mknodat"];
        Assert.Empty(imports.Intersect(since233));
    }
}
