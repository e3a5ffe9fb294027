using System;
using System.Collections;
using System.Collections.Generic;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// A fixed set of libc function names (see <see cref="PosixSurfaces.Functions"/>). Every rule tests the function of
/// every invocation against one or two of these, so the test is a hash lookup: an immutable hash set walks a tree of
/// buckets on each lookup, several times the cost. Never changed once built, so any thread may read it.
/// </summary>
internal sealed class FunctionSet : IEnumerable<string>
{
    private readonly HashSet<string> _names;

    private FunctionSet(HashSet<string> names) => _names = names;

    public static FunctionSet Of(IEnumerable<string> names) => new(new HashSet<string>(names, StringComparer.Ordinal));

    public int Count => _names.Count;

    public bool Contains(string name) => _names.Contains(name);

    public FunctionSet Union(FunctionSet other)
    {
        var names = new HashSet<string>(_names, StringComparer.Ordinal);
        names.UnionWith(other._names);
        return new FunctionSet(names);
    }

    public IEnumerator<string> GetEnumerator() => _names.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
