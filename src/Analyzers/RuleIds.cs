using System.Linq;
using System.Reflection;

namespace SafePosix.Analyzers;

/// <summary>Every rule ID in one place; IDs are stable once shipped.</summary>
public static class RuleIds
{
    public const string UncheckedMmapResult = "PSX3001";
    public const string MisalignedMmapOffset = "PSX3002";
    public const string MismatchedMunmap = "PSX3003";
    public const string FailingMmapArguments = "PSX3004";
    public const string UnprovenMmapOffsetAlignment = "PSX3005";
    public const string ForkFromManagedCode = "PSX1001";
    public const string VforkChildWork = "PSX1002";
    public const string ForkChildExit = "PSX1003";
    public const string ZombieChild = "PSX1004";
    public const string StaleUnixSocketPath = "PSX4001";
    public const string DescriptorWithoutCloexec = "PSX4002";
    public const string DiscardedByteCount = "PSX4003";
    public const string EintrNotRetried = "PSX4004";
    public const string WritableIpcObject = "PSX4005";
    public const string CloseRetriedOnEintr = "PSX4006";
    public const string StaleErrno = "PSX5001";
    public const string IgnoredFailure = "PSX5002";
    public const string SingleReap = "PSX2001";
    public const string AnyChildWait = "PSX2002";
    public const string UncheckedWaitStatus = "PSX2003";
    public const string SigpipeReset = "PSX2004";
    public const string InheritedSigpipe = "PSX2005";
    public const string NoSignalSocketFlags = "PSX2006";
    public const string SendWithoutNoSignal = "PSX2007";
    public const string SigchldIgnored = "PSX2008";
    public const string ManagedSignalHandler = "PSX2009";

    /// <summary>
    /// Rule pages live next to the code; links are built from the ID so a page and its rule cannot drift. The base
    /// comes from Directory.Build.props (SafePosixHelpLinkBase, made from the packages' RepositoryUrl), so the links
    /// and the package metadata cannot point to two places.
    /// </summary>
    public static readonly string HelpLinkBase = typeof(RuleIds).Assembly
        .GetCustomAttributes(typeof(AssemblyMetadataAttribute), inherit: false)
        .OfType<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "SafePosix.HelpLinkBase").Value!;

    public static string HelpLink(string id) => HelpLinkBase + id + ".md";
}

/// <summary>
/// Every SafePosix rule is in one category of its own, so one line
/// (<c>dotnet_analyzer_diagnostic.category-SafePosix.severity = none|warning|error</c>) configures all of them and no
/// SDK rule: the standard categories (Reliability, Security, Usage) are shared with CA rules such as CA2014.
/// </summary>
internal static class RuleCategories
{
    public const string SafePosix = "SafePosix";

    // Descriptors written before the dedicated category name these; they all mean the one category.
    public const string Reliability = SafePosix;
    public const string Security = SafePosix;
    public const string Usage = SafePosix;
}
