using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

// Every native signature in this assembly is blittable, so the runtime never has to marshal at all; the
// LibraryImport generator emits the little that remains (SetLastError) as plain code, which keeps AOT and
// trimming free of warnings.
[assembly: DisableRuntimeMarshalling]
[assembly: InternalsVisibleTo("SafePosix.Runtime.Tests")]
[assembly: InternalsVisibleTo("SafePosix.Runtime.Probe")]

// pidfds, posix_spawn_file_actions_*_np, /proc and the errno/signal numbering are Linux facts; callers get a CA1416
// warning when they use the library from code that may run elsewhere.
[assembly: SupportedOSPlatform("linux")]
