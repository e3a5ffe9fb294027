using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace SafePosix.Package.Tests;

/// <summary>The fixes as CI applies them: `dotnet format analyzers` on the showcase, from the packed package.</summary>
[Collection(PackageFeedCollection.Name)]
public sealed class FormatTests
{
    private readonly PackageFeed _feed;

    public FormatTests(PackageFeed feed) => _feed = feed;

    [Fact]
    public async Task VerifyNoChanges_FailsOnTheUnfixedShowcase()
    {
        var consumer = _feed.NewConsumer("format-verify").Showcase(Consumer.CentralVersions()).Write();
        var verify = await consumer.RunAsync("format", "analyzers", "--verify-no-changes", "--severity", "warn");
        Assert.True(verify.ExitCode != 0, verify.ToString());
        Assert.Contains(verify.Diagnostics, d => d.Id.StartsWith("PSX", System.StringComparison.Ordinal));
    }

    // Observed on the showcase: pass 1 rewrites ListDirectory (PSX1001) and ends StartWorker with _exit (PSX1003), but
    // PSX3001 needs three passes (one code action kind per pass: Fill/Remap in pass 2, the IntPtr.Zero comparison
    // in pass 3), and `--verify-no-changes --diagnostics PSX1001` keeps reporting ProcessCreation.cs as changed
    // while applying it changes nothing (a Fix All with no effective change), so it exits 2 after any number of passes.
    [Fact(Skip = "FIXALL-PENDING: PSX3001 code actions need one equivalence key (one pass applies one kind); PSX1001 Fix All reports a change that changes nothing")]
    public async Task OnePass_LeavesNothingToFix_AndTheResultBuilds()
    {
        var consumer = _feed.NewConsumer("format-fix").Showcase(Consumer.CentralVersions()).Write();
        var format = await consumer.RunAsync("format", "analyzers", "--severity", "warn");
        Assert.True(format.ExitCode == 0, format.ToString());

        var verify = await consumer.RunAsync("format", "analyzers", "--verify-no-changes", "--severity", "warn");
        Assert.True(verify.ExitCode == 0, "A second pass still has fixes to apply:\n" + verify);

        var build = await consumer.BuildAsync("--no-restore");
        Assert.True(build.ExitCode == 0 && !build.Diagnostics.Any(d => d.Severity == "error"), build.ToString());
    }
}
