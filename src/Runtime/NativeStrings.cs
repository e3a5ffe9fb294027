using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace SafePosix;

/// <summary>UTF-8, NUL-terminated strings and string arrays for native calls, with the argument checks first.</summary>
internal static unsafe class NativeStrings
{
    /// <summary>UTF-8 that throws on a lone surrogate instead of writing EF BF BD (U+FFFD) in its place.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static byte[] ToNullTerminatedUtf8(string value, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (value.Length == 0)
        {
            throw new ArgumentException("The value must not be empty.", parameterName);
        }

        ThrowIfContainsNul(value, parameterName);
        var bytes = new byte[ByteCount(value, parameterName) + 1];
        StrictUtf8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>The exact UTF-8 bytes of <paramref name="value"/> (no terminator); NUL or a lone surrogate is an <see cref="ArgumentException"/>.</summary>
    internal static byte[] ToUtf8(string value, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        ThrowIfContainsNul(value, parameterName);
        var bytes = new byte[ByteCount(value, parameterName)];
        StrictUtf8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>A copy of raw bytes for a C string (no terminator); null or a NUL byte is an <see cref="ArgumentException"/>.</summary>
    internal static byte[] CheckBytes(byte[]? value, string parameterName)
    {
        if (value is null)
        {
            throw new ArgumentNullException(parameterName, "A byte string is null.");
        }

        if (value.AsSpan().IndexOf((byte)0) >= 0)
        {
            throw new ArgumentException("A byte string contains a NUL byte, which a C string cannot carry.", parameterName);
        }

        return (byte[])value.Clone();
    }

    private static int ByteCount(string value, string parameterName)
    {
        try
        {
            return StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException(
                "The value contains a lone surrogate (U+" + ((int)e.CharUnknown).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)
                + ") that UTF-8 cannot encode; pass the exact bytes instead (SpawnOptions.ArgumentBytes / EnvironmentBytes).",
                parameterName,
                e);
        }
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

        internal StringArray(IReadOnlyList<byte[]> values)
        {
            var pointerBytes = (nuint)(values.Count + 1) * (nuint)sizeof(byte*);
            nuint stringBytes = 0;
            foreach (var value in values)
            {
                stringBytes += (nuint)value.Length + 1;
            }

            _block = NativeMemory.Alloc(pointerBytes + stringBytes);
            var pointers = (byte**)_block;
            var cursor = (byte*)_block + pointerBytes;
            for (var i = 0; i < values.Count; i++)
            {
                pointers[i] = cursor;
                values[i].CopyTo(new Span<byte>(cursor, values[i].Length));
                cursor[values[i].Length] = 0;
                cursor += values[i].Length + 1;
            }

            pointers[values.Count] = null;
        }

        internal StringArray(IReadOnlyList<string> values)
        {
            var pointerBytes = (nuint)(values.Count + 1) * (nuint)sizeof(byte*);
            nuint stringBytes = 0;
            foreach (var value in values)
            {
                stringBytes += (nuint)StrictUtf8.GetByteCount(value) + 1;
            }

            _block = NativeMemory.Alloc(pointerBytes + stringBytes);
            var pointers = (byte**)_block;
            var cursor = (byte*)_block + pointerBytes;
            var end = cursor + stringBytes;
            for (var i = 0; i < values.Count; i++)
            {
                pointers[i] = cursor;
                var written = StrictUtf8.GetBytes(values[i], new Span<byte>(cursor, (int)(end - cursor)));
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
