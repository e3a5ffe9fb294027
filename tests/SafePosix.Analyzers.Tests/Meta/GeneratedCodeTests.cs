using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkFromManagedCodeAnalyzer>;

namespace SafePosix.Analyzers.Tests.Meta;

/// <summary>
/// Generated code is never analyzed (src/Analyzers/GeneratedCode.cs). The test harness re-runs every test under a
/// generated-file header and with its types marked [GeneratedCode]; these cover the members that carry the attribute
/// themselves, where the driver's own skip does not reach the accessors, and lines a #line hidden hides.
/// </summary>
public sealed class GeneratedCodeTests
{
    private const string Generic =
        "'fork' is unsafe in a multithreaded .NET process; start the program with Process.Start or posix_spawn";

    private const string Interop = """
        using System;
        using System.CodeDom.Compiler;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();
        }

        """;

    [Fact]
    public Task PropertyGetter_IsReported() => VerifyCS.AnalyzerAsync(Interop + """
        class C
        {
            int Child { get { return {|#0:Native.fork()|}; } }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(Generic));

    [Fact]
    public Task GeneratedProperty_Getter_IsSilent() => VerifyCS.AnalyzerAsync(Interop + """
        class C
        {
            [GeneratedCode("tool", "1.0")]
            int Child { get { return Native.fork(); } }
        }
        """);

    [Fact]
    public Task GeneratedProperty_ExpressionBody_IsSilent() => VerifyCS.AnalyzerAsync(Interop + """
        class C
        {
            [GeneratedCode("tool", "1.0")]
            int Child => Native.fork();
        }
        """);

    [Fact]
    public Task GeneratedIndexer_IsSilent() => VerifyCS.AnalyzerAsync(Interop + """
        class C
        {
            [GeneratedCode("tool", "1.0")]
            int this[int i] => Native.fork() + i;
        }
        """);

    [Fact]
    public Task GeneratedEvent_Accessors_AreSilent() => VerifyCS.AnalyzerAsync(Interop + """
        class C
        {
            [GeneratedCode("tool", "1.0")]
            event EventHandler Changed
            {
                add { Native.fork(); }
                remove { Native.fork(); }
            }
        }
        """);

    [Fact]
    public Task GeneratedMethod_IsSilent() => VerifyCS.AnalyzerAsync(Interop + """
        class C
        {
            [GeneratedCode("tool", "1.0")]
            int Start() => Native.fork();
        }
        """);

    [Fact]
    public Task AttributeOfAnotherNamespace_IsNotGeneratedCode() => VerifyCS.AnalyzerAsync(Interop + """
        namespace Mine
        {
            sealed class GeneratedCodeAttribute : Attribute
            {
                public GeneratedCodeAttribute(string tool, string version) { }
            }

            class C
            {
                [Mine.GeneratedCode("tool", "1.0")]
                int Child => {|#0:Native.fork()|};
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(Generic));

    // A generator's own lines inside a visible member: the driver drops what a rule finds there, as it does for
    // analyzers that leave generated code out with None; the lines after #line default are the user's again. (A member
    // that starts on a hidden line, here anything before the first #line directive, it does not analyze at all.)
    [Fact]
    public Task LinesAfterLineHidden_AreSilent_TheLinesAfterLineDefaultAreNot() => VerifyCS.AnalyzerAsync(Interop + """
        #line default
        class C
        {
            int Start()
            {
        #line hidden
                var generated = Native.fork();
        #line default
                return generated + {|#0:Native.fork()|};
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(Generic));

    /// <summary>Every operation action goes through the accessor check (behind the libc-call filter, if it has one):
    /// one registered without it would report in a [GeneratedCode] property.</summary>
    [Fact]
    public void EveryOperationAction_SkipsGeneratedAccessors()
    {
        var unwrapped = Directory.GetFiles(RuleCatalog.PathInRepository("src", "Analyzers", "Rules"), "*.cs")
            .SelectMany(file => Regex.Matches(File.ReadAllText(file), @"Register(Operation|OperationBlock|OperationBlockStart|SyntaxNode)Action\((?>\s*)(?!GeneratedCode\.OutsideGeneratedMembers\(|LibcCallAction\.Create\([\w.]+, GeneratedCode\.OutsideGeneratedMembers\()")
                .Select(match => Path.GetFileName(file)))
            .ToList();
        Assert.True(unwrapped.Count == 0, "Operation actions registered without GeneratedCode.OutsideGeneratedMembers: " + string.Join(", ", unwrapped));
    }
}
