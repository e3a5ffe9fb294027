using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// The memory-mapping vocabulary of the bindings: the Linux values of the PROT_, MAP_ and O_ constants that
/// Tmds.LibC exposes as properties (Mono.Posix and own code use enums and consts, which carry their values), and
/// the expressions that stand for the page size.
/// </summary>
internal static class MappingValues
{
    public const int PageSizeSysconfName = 30; // _SC_PAGESIZE and _SC_PAGE_SIZE on Linux (glibc and musl)
    public const long ProtWrite = 0x2;
    public const long MapShared = 0x1;
    public const long MapPrivate = 0x2;
    public const long MapSharedValidate = 0x3;
    public const long MapType = 0xf;
    public const long MapAnonymous = 0x20;
    public const long OpenAccessMode = 0x3;
    public const long OpenReadOnly = 0x0;
    public const long OpenWriteOnly = 0x1;
    public const long OpenReadWrite = 0x2;
    public const long OpenCreate = 0x40;
    public const long OpenTruncate = 0x200;

    public static readonly FunctionSet MmapFunctions = PosixSurfaces.Functions("mmap", "mmap64");

    // Linux x86-64/arm64 values, the ones Tmds.LibC 0.5.0 returns from its properties.
    private static readonly Dictionary<string, long> TmdsConstants = new()
    {
        ["PROT_NONE"] = 0x0,
        ["PROT_READ"] = 0x1,
        ["PROT_WRITE"] = 0x2,
        ["PROT_EXEC"] = 0x4,
        ["MAP_FILE"] = 0x0,
        ["MAP_SHARED"] = 0x1,
        ["MAP_PRIVATE"] = 0x2,
        ["MAP_SHARED_VALIDATE"] = 0x3,
        ["MAP_FIXED"] = 0x10,
        ["MAP_ANON"] = 0x20,
        ["MAP_ANONYMOUS"] = 0x20,
        ["MAP_NORESERVE"] = 0x4000,
        ["MAP_POPULATE"] = 0x8000,
        ["MAP_LOCKED"] = 0x2000,
        ["MAP_HUGETLB"] = 0x40000,
        ["MAP_FIXED_NOREPLACE"] = 0x100000,

        // Where an io_uring's rings are mapped (linux/io_uring.h): the mmap offsets of a ring's file descriptor.
        ["IORING_OFF_SQ_RING"] = 0x0,
        ["IORING_OFF_CQ_RING"] = 0x8000000,
        ["IORING_OFF_SQES"] = 0x10000000,
        ["O_RDONLY"] = 0x0,
        ["O_WRONLY"] = 0x1,
        ["O_RDWR"] = 0x2,
        ["O_CREAT"] = 0x40,
        ["O_EXCL"] = 0x80,
        ["O_TRUNC"] = 0x200,
        ["O_APPEND"] = 0x400,
        ["O_CLOEXEC"] = 0x80000,
    };

    /// <summary>The Tmds.LibC properties whose values the rules know, checked against the package by a test.</summary>
    internal static IReadOnlyDictionary<string, long> KnownTmdsProperties => TmdsConstants;

    /// <summary>The value of a binding constant that is a property (Tmds.LibC), or null.</summary>
    public static long? BindingConstant(PosixSurfaces surfaces, IPropertyReferenceOperation property)
        => property.Instance is null
            && surfaces.BindingSurfaceOf(property.Property.ContainingType) == PosixSurface.Tmds
            && TmdsConstants.TryGetValue(property.Property.Name, out var value)
                ? value
                : null;

    /// <summary>
    /// Whether an operator or conversion belongs to a binding's integer typedef (Tmds' <c>off_t</c>, <c>size_t</c>
    /// ...) or to <c>IntPtr</c>, and so computes what the integer operation it wraps computes.
    /// </summary>
    public static bool IsIntegerWrapperOperator(PosixSurfaces surfaces, IMethodSymbol? method)
    {
        if (method is null)
        {
            return true;
        }

        var type = method.ContainingType;
        if (LibcValues.IsNativeInteger(type))
        {
            return true;
        }

        return type is { TypeKind: TypeKind.Struct }
            && surfaces.TmdsLibC is { } libc
            && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, libc.ContainingAssembly);
    }

    /// <summary>Whether an operation reads the page size: Environment.SystemPageSize, getpagesize(), sysconf(_SC_PAGESIZE).</summary>
    public static bool IsPageSize(PosixSurfaces surfaces, IOperation operation, System.Func<IOperation, long?> exactValue)
    {
        switch (operation)
        {
            case IPropertyReferenceOperation { Instance: null, Property.Name: "SystemPageSize" } property:
                return SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, surfaces.KnownType("System.Environment"));
            case IInvocationOperation invocation:
                if (!surfaces.TryGetLibcCall(invocation.TargetMethod, out var call))
                {
                    return false;
                }

                if (call.Function == "getpagesize")
                {
                    return true;
                }

                return call.Function == "sysconf"
                    && invocation.Arguments.Length >= 1
                    && OperationFacts.Argument(invocation, 0) is { } name
                    && exactValue(name) == PageSizeSysconfName;
            default:
                return false;
        }
    }
}
