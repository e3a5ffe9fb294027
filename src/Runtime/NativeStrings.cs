using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace SafePosix;

/// <summary>UTF-8, NUL-terminated strings and string arrays for native calls, with the argument checks first.</summary>
internal static unsafe class NativeStrings
{
    internal static byte[] ToNullTerminatedUtf8(string value, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (value.Length == 0)
        {
            throw new ArgumentException("The value must not be empty.", parameterName);
        }

        ThrowIfContainsNul(value, parameterName);
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    internal static void ThrowIfContainsNul(string value, string parameterName)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The value contains a NUL character, which a C string cannot carry.", parameterName);
        }
    }

    /// <summary>
    /// Lays out a NULL-terminated <c>char*[]</c> and its strings in one native block, so one free releases
    /// everything and nothing can move while the spawn reads it.
    /// </summary>
    internal sealed class StringArray : IDisposable
    {
        private void* _block;

        internal StringArray(IReadOnlyList<string> values)
        {
            var pointerBytes = (nuint)(values.Count + 1) * (nuint)sizeof(byte*);
            nuint stringBytes = 0;
            foreach (var value in values)
            {
                stringBytes += (nuint)Encoding.UTF8.GetByteCount(value) + 1;
            }

            _block = NativeMemory.Alloc(pointerBytes + stringBytes);
            var pointers = (byte**)_block;
            var cursor = (byte*)_block + pointerBytes;
            var end = cursor + stringBytes;
            for (var i = 0; i < values.Count; i++)
            {
                pointers[i] = cursor;
                var written = Encoding.UTF8.GetBytes(values[i], new Span<byte>(cursor, (int)(end - cursor)));
                cursor[written] = 0;
                cursor += written + 1;
            }

            pointers[values.Count] = null;
        }

        internal byte** Pointer => (byte**)_block;

        public void Dispose()
        {
            NativeMemory.Free(_block);
            _block = null;
        }
    }
}
