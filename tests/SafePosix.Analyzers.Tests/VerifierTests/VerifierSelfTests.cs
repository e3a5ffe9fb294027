using System;
using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.VerifierTests;

/// <summary>What our set-up adds to the standard test must fail when it should: a verifier that always passes proves nothing.</summary>
public sealed class VerifierSelfTests
{
    private const string Source = """
        class C
        {
            void Flag() { }
            void M()
            {
                [|Flag()|];
            }
        }
        """;

    [Fact]
    public Task CorrectExpectation_Passes() => new PosixAnalyzerTest<FlagAnalyzer> { Source = Source }.RunAsync();

    [Fact]
    public Task UnexpectedDiagnostic_Fails()
        => AssertFails(new PosixAnalyzerTest<FlagAnalyzer> { Source = Source.Replace("[|Flag()|]", "Flag()", StringComparison.Ordinal) }.RunAsync());

    [Fact]
    public Task DisabledByDefaultRule_IsForcedOn()
        => new PosixAnalyzerTest<OffByDefaultFlagAnalyzer> { Source = Source }.RunAsync();

    [Fact]
    public Task DisabledByDefaultRule_StaysOffWhenNotForced()
    {
        var test = new PosixAnalyzerTest<OffByDefaultFlagAnalyzer> { Source = Source.Replace("[|Flag()|]", "Flag()", StringComparison.Ordinal) };
        test.NotForcedOn.Add(FlagAnalyzer.Id);
        return test.RunAsync();
    }

    [Fact]
    public Task AnalyzerThatThrows_Fails()
        => AssertFails(new PosixAnalyzerTest<ThrowingFlagAnalyzer> { Source = Source.Replace("[|Flag()|]", "Flag()", StringComparison.Ordinal) }.RunAsync());

    [Fact]
    public Task AnalyzerReportingInGeneratedCode_Fails()
        => AssertFails(new PosixAnalyzerTest<GeneratedCodeFlagAnalyzer> { Source = Source }.RunAsync(), "auto-generated");

    [Fact]
    public Task SourceThatDoesNotCompile_Fails()
        => AssertFails(new PosixAnalyzerTest<FlagAnalyzer> { Source = Source.Replace("void M()", "void M(Missing m)", StringComparison.Ordinal) }.RunAsync(), "CS0246");

    [Fact]
    public Task LibraryImportPartialWithoutBody_IsTolerated() => new PosixAnalyzerTest<FlagAnalyzer>
    {
        Source = """
            using System.Runtime.InteropServices;

            static partial class Native
            {
                [LibraryImport("libc")]
                internal static partial int getpid();
            }
            """,
    }.RunAsync();

    [Fact]
    public Task OtherPartialWithoutBody_Fails() => AssertFails(new PosixAnalyzerTest<FlagAnalyzer>
    {
        Source = """
            static partial class Native
            {
                internal static partial int getpid();
            }
            """,
    }.RunAsync(), "CS8795");

    [Fact]
    public Task RealTmdsLibC_IsReferenced() => new PosixAnalyzerTest<FlagAnalyzer>
    {
        // Only the real package defines these operators on pid_t; the old stub did not.
        Source = """
            using Tmds.Linux;

            class C
            {
                bool IsChild(pid_t pid) => pid == 0 && !(pid != 0) && pid.Equals(new pid_t());
            }
            """,
    }.RunAsync();

    private static async Task AssertFails(Task verification, string? expectedInMessage = null)
    {
        var exception = await Record.ExceptionAsync(() => verification);
        Assert.NotNull(exception);
        if (expectedInMessage is not null)
        {
            Assert.Contains(expectedInMessage, exception.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Reports TEST001 on every call to a method named Flag.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public class FlagAnalyzer : DiagnosticAnalyzer
    {
        public const string Id = "TEST001";

        private readonly bool _throws;
        private readonly bool _analyzeGeneratedCode;
        private readonly DiagnosticDescriptor _rule;

        public FlagAnalyzer()
            : this(enabledByDefault: true, throws: false, analyzeGeneratedCode: false)
        {
        }

        protected FlagAnalyzer(bool enabledByDefault, bool throws, bool analyzeGeneratedCode)
        {
            _throws = throws;
            _analyzeGeneratedCode = analyzeGeneratedCode;
            _rule = new DiagnosticDescriptor(Id, "Flag", "Call to {0}", "Test", DiagnosticSeverity.Warning, enabledByDefault);
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(_rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(_analyzeGeneratedCode ? GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics : GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    if (invocation.TargetMethod.Name != "Flag")
                    {
                        return;
                    }

                    if (_throws)
                    {
                        throw new InvalidOperationException("boom");
                    }

                    c.ReportDiagnostic(Diagnostic.Create(_rule, invocation.Syntax.GetLocation(), invocation.TargetMethod.Name));
                },
                OperationKind.Invocation);
        }
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class OffByDefaultFlagAnalyzer : FlagAnalyzer
    {
        public OffByDefaultFlagAnalyzer()
            : base(enabledByDefault: false, throws: false, analyzeGeneratedCode: false)
        {
        }
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ThrowingFlagAnalyzer : FlagAnalyzer
    {
        public ThrowingFlagAnalyzer()
            : base(enabledByDefault: true, throws: true, analyzeGeneratedCode: false)
        {
        }
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class GeneratedCodeFlagAnalyzer : FlagAnalyzer
    {
        public GeneratedCodeFlagAnalyzer()
            : base(enabledByDefault: true, throws: false, analyzeGeneratedCode: true)
        {
        }
    }
}
