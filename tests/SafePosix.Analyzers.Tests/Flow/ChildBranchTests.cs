using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Flow;

/// <summary>
/// The child-branch helper on its own: which operations run in the child of a fork and how the child leaves, for
/// every shape of test the issue lists. Each test prints the answer in one line:
/// <c>child: ... | shared: ... | exits: Kind@text ...</c>, where "shared" is code both processes run before a test.
/// </summary>
public sealed class ChildBranchTests
{
    private const string Header = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)] public static extern int fork();
            [DllImport("libc", SetLastError = true)] public static extern int execv(string path, string?[] argv);
            [DllImport("libc")] public static extern void _exit(int status);
            [DllImport("libc")] public static extern void exit(int status);
            [DllImport("libc")] public static extern int getpid();
        }

        """;

    private static string Describe(string body, string usings = "using static Native;\n")
    {
        var source = usings + Header + "class C\n{\n    static void Log(object? value) { }\n" + body + "\n}\n";
        var compilation = TestReferences.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        var errors = TestReferences.CompilerErrors(compilation);
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var model = compilation.GetSemanticModel(tree);
        var surfaces = PosixSurfaces.Create(compilation);
        var calls = new ProcessCalls(surfaces);
        var values = new LibcValues(surfaces);
        var fork = tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>()
            .First(i => model.GetSymbolInfo(i).Symbol is IMethodSymbol m && surfaces.TryGetLibcCall(m, ProcessCalls.BranchingForkFunctions, out _));
        var member = fork.Ancestors().OfType<MethodDeclarationSyntax>().First();
        var graph = ControlFlowGraph.Create((IMethodBodyOperation)model.GetOperation(member)!);
        var position = ControlFlowGraphs.Find(graph, fork, CancellationToken.None) ?? throw new InvalidOperationException("fork not in the graph");
        var branch = ChildBranch.Analyze(position, calls, ValueOrigins.Of(position.Graph), CancellationToken.None);

        static string Text(SyntaxNode node) => string.Join(" ", node.ToString().Split(new[] { '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        var child = branch.Operations.Where(o => o.InChildBranch).Select(o => Text(o.Operation.Syntax));
        var shared = branch.Operations.Where(o => !o.InChildBranch).Select(o => Text(o.Operation.Syntax));
        var exits = branch.Exits.Select(e => e.Kind + (e.InChildBranch ? string.Empty : "(shared)") + "@" + Text(e.Location.SourceTree!.GetRoot().FindNode(e.Location.SourceSpan, getInnermostNodeForTie: true)));
        return "child: " + string.Join(" / ", child) + " | shared: " + string.Join(" / ", shared) + " | exits: " + string.Join(" ", exits);
    }

    [Fact]
    public void EqualsZero_ChildIsTheThenBranch()
        => Assert.Equal(
            "child: execv(\"/bin/ls\", new[] { \"ls\", null }); / _exit(127); | shared: pid == 0 | exits: SafeExit@_exit(127)",
            Describe("""
                void M()
                {
                    int pid = fork();
                    if (pid == 0)
                    {
                        execv("/bin/ls", new[] { "ls", null });
                        _exit(127);
                    }

                    Log(pid);
                }
                """));

    [Fact]
    public void IsZeroPattern_ChildIsTheThenBranch()
        => Assert.Equal(
            "child: Log(1); | shared: pid is 0 | exits: FallOut@Log(1);",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid is 0)
                    {
                        Log(1);
                    }

                    Log(2);
                }
                """));

    [Fact]
    public void NotZeroReturns_ChildIsTheRestOfTheMethod()
        => Assert.Equal(
            "child: execv(\"/bin/true\", new string?[] { null }); | shared: pid != 0 | exits: FallOut@execv(\"/bin/true\", new string?[] { null });",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid != 0)
                    {
                        return;
                    }

                    execv("/bin/true", new string?[] { null });
                }
                """));

    [Fact]
    public void SwitchCaseZero_IsTheChild()
        => Assert.Equal(
            "child: Log(0); | shared: -1 / 0 | exits: Return@return;",
            Describe("""
                void M()
                {
                    switch (fork())
                    {
                        case -1:
                            throw new InvalidOperationException();
                        case 0:
                            Log(0);
                            return;
                        default:
                            Log(1);
                            break;
                    }
                }
                """));

    [Fact]
    public void ForkCallTestedDirectly_IsTheChild()
        => Assert.Equal(
            "child: _exit(0); | shared:  | exits: SafeExit@_exit(0)",
            Describe("""
                void M()
                {
                    if (fork() == 0)
                    {
                        _exit(0);
                    }

                    Log(1);
                }
                """));

    [Fact]
    public void ElseOfGreaterThanZeroAfterFailureCheck_IsTheChild()
        => Assert.Equal(
            "child: Log(\"child\"); / new InvalidOperationException(\"child\") | shared: pid < 0 / pid > 0 | exits: Throw@throw new InvalidOperationException(\"child\");",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid < 0)
                    {
                        throw new InvalidOperationException("fork failed");
                    }
                    else if (pid > 0)
                    {
                        Log("parent");
                    }
                    else
                    {
                        Log("child");
                        throw new InvalidOperationException("child");
                    }
                }
                """));

    [Fact]
    public void ResultTestedLater_CodeBeforeTheTestRunsInBoth()
        => Assert.Equal(
            "child: exit(1); | shared: Log(\"forked\"); / pid == 0 | exits: UnsafeExit@exit(1)",
            Describe("""
                void M()
                {
                    int pid;
                    pid = fork();
                    Log("forked");
                    if (pid == 0)
                    {
                        exit(1);
                    }
                }
                """));

    [Fact]
    public void AssignmentInsideTheTest_IsTheChild()
        => Assert.Equal(
            "child: Environment.Exit(3); | shared:  | exits: UnsafeExit@Environment.Exit(3)",
            Describe("""
                void M()
                {
                    int pid;
                    if ((pid = fork()) == 0)
                    {
                        Environment.Exit(3);
                    }

                    Log(pid);
                }
                """));

    [Fact]
    public void ConstantOnTheLeftAndNegation_AreUnderstood()
        => Assert.Equal(
            "child: Log(\"child\"); | shared: 0 != pid | exits: FallOut@Log(\"child\");",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (!(0 != pid))
                    {
                        Log("child");
                    }
                }
                """));

    [Fact]
    public void ReturnWithValue_IsAReturnExit()
        => Assert.Equal(
            "child: execv(\"/bin/sh\", new[] { \"sh\", null }); / 0 | shared: pid == 0 | exits: Return@return 0;",
            Describe("""
                int M()
                {
                    var pid = fork();
                    if (pid == 0)
                    {
                        execv("/bin/sh", new[] { "sh", null });
                        return 0;
                    }

                    return pid;
                }
                """));

    [Fact]
    public void ElseOfGreaterThanZero_WithoutFailureCheck_IsTheChildSide()
        => Assert.Equal(
            "child: _exit(0); | shared: pid > 0 | exits: SafeExit@_exit(0)",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid > 0)
                    {
                        Log("parent");
                    }
                    else
                    {
                        _exit(0);
                    }
                }
                """));

    [Fact]
    public void ChildThatLoops_FallsOutIntoTheLoopHead()
        => Assert.Equal(
            "child: Log(i); | shared: pid == 0 | exits: FallOut@Log(i);",
            Describe("""
                void M()
                {
                    for (var i = 0; i < 3; i++)
                    {
                        var pid = fork();
                        if (pid == 0)
                        {
                            Log(i);
                        }
                    }
                }
                """));

    [Fact]
    public void FinallyInTheChild_RunsInTheChild()
        => Assert.Equal(
            "child: Log(\"try\"); / Log(\"finally\"); / _exit(0); | shared: pid == 0 | exits: SafeExit@_exit(0)",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid == 0)
                    {
                        try
                        {
                            Log("try");
                        }
                        finally
                        {
                            Log("finally");
                        }

                        _exit(0);
                    }
                }
                """));

    [Fact]
    public void OverwrittenHolder_IsNoLongerTheResult()
        => Assert.Equal(
            "child:  | shared: pid = getpid(); / pid == 0 / Log(\"unknown\"); | exits: ",
            Describe("""
                void M()
                {
                    var pid = fork();
                    pid = getpid();
                    if (pid == 0)
                    {
                        Log("unknown");
                    }
                }
                """));

    [Fact]
    public void TmdsPidT_IsComparedThroughItsConversion()
        => Assert.Equal(
            "child: Tmds.Linux.LibC._exit(1); | shared: pid == 0 | exits: SafeExit@Tmds.Linux.LibC._exit(1)",
            Describe("""
                void M()
                {
                    Tmds.Linux.pid_t pid = Tmds.Linux.LibC.fork();
                    if (pid == 0)
                    {
                        Tmds.Linux.LibC._exit(1);
                    }
                }
                """, usings: string.Empty));

    [Fact]
    public void SwitchExpressionArm_IsTheChild()
        => Assert.Equal(
            "child: Child() | shared: pid / 0 => Child() | exits: FallOut@Child()",
            Describe("""
                void M()
                {
                    var pid = fork();
                    var kind = pid switch
                    {
                        0 => Child(),
                        > 0 => "parent",
                        _ => "failed",
                    };

                    string Child()
                    {
                        Log("child");
                        return "child";
                    }
                }
                """));

    [Fact]
    public void ParentBranch_NeverCountsAsChild()
        => Assert.Equal(
            "child: _exit(1); | shared: pid == -1 / pid > 0 | exits: SafeExit@_exit(1)",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid == -1)
                    {
                        Environment.Exit(2);
                    }

                    if (pid > 0)
                    {
                        Log("parent");
                        Environment.Exit(0);
                    }

                    _exit(1);
                }
                """));

    [Fact]
    public void CatchInTheChild_RunsInTheChild()
        => Assert.Equal(
            "child: execv(\"/bin/ls\", new[] { \"ls\", null }); / _exit(127); / (Exception e) / Log(e); | shared: pid == 0 | exits: SafeExit@_exit(127) FallOut@Log(e);",
            Describe("""
                void M()
                {
                    var pid = fork();
                    if (pid == 0)
                    {
                        try
                        {
                            execv("/bin/ls", new[] { "ls", null });
                            _exit(127);
                        }
                        catch (Exception e)
                        {
                            Log(e);
                        }
                    }
                }
                """));

    [Fact]
    public void DirectTestWithoutBody_HasNoChildBranch()
        => Assert.Equal(
            "child:  | shared:  | exits: ",
            Describe("""
                void M()
                {
                    if (fork() == 0)
                    {
                    }
                }
                """));
}
