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

    // One flag per MatchedFunctions number: a resolved call carries its function's number, so the rules' tests of a
    // call (several per rule, on every libc call) read a flag instead of hashing the name again.
    private readonly bool[] _byId;

    // False when a name has no number (MatchedFunctions is missing it, which a test forbids): tests then go by name.
    private readonly bool _everyNameNumbered;

    private FunctionSet(HashSet<string> names)
    {
        _names = names;
        _byId = new bool[MatchedFunctions.Count];
        _everyNameNumbered = true;
        foreach (var name in names)
        {
            var id = MatchedFunctions.IdOf(name);
            if (id < 0)
            {
                _everyNameNumbered = false;
            }
            else
            {
                _byId[id] = true;
            }
        }
    }

    public static FunctionSet Of(IEnumerable<string> names) => new(new HashSet<string>(names, StringComparer.Ordinal));

    public int Count => _names.Count;

    public bool Contains(string name) => _names.Contains(name);

    /// <summary>Whether the call's function is in the set: <c>Contains(call.Function)</c>, without hashing the name.</summary>
    public bool Contains(LibcCall call)
        => _everyNameNumbered ? call.FunctionId >= 0 && _byId[call.FunctionId] : _names.Contains(call.Function);

    public FunctionSet Union(FunctionSet other)
    {
        var names = new HashSet<string>(_names, StringComparer.Ordinal);
        names.UnionWith(other._names);
        return new FunctionSet(names);
    }

    public IEnumerator<string> GetEnumerator() => _names.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
