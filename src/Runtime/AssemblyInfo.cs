using System.Runtime.CompilerServices;

// Every native signature in this assembly is blittable, so the runtime never has to marshal at all; the
// LibraryImport generator emits the little that remains (SetLastError) as plain code, which keeps AOT and
// trimming free of warnings.
[assembly: DisableRuntimeMarshalling]
[assembly: InternalsVisibleTo("SafePosix.Runtime.Tests")]
