using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Flow;

/// <summary>
/// The shared body walk must give the rules exactly what Roslyn's own walk gave them: same operations, same order,
/// the node itself only when asked for.
/// </summary>
public sealed class OperationTreesTests
{
    private const string Source = """
        using System;
        using System.Linq;

        class C
        {
            static int M(int[] values, int? maybe)
            {
                var total = 0;
                foreach (var value in values)
                {
                    if (value > 0) total += value; else continue;
                }

                Func<int, int> twice = x => { var y = x * 2; return y; };
                var (a, b) = (maybe ?? 1, values.Length);
                try { total = checked(total + a * b); }
                catch (OverflowException) when (total > 0) { return -1; }
                finally { total++; }

                int Local(int n) => n switch { 0 => twice(n), _ => values.Where(v => v > n).Count() };
                return total is > 100 ? Local(total) : total;
            }
        }
        """;

    private static IOperation Body()
    {
        var compilation = TestReferences.Compile(Source);
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(TestReferences.CompilerErrors(compilation));
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        return compilation.GetSemanticModel(tree).GetOperation(method)!;
    }

    private static List<IOperation> Listed(OperationTrees.OperationRun run)
    {
        var list = new List<IOperation>();
        foreach (var operation in run)
        {
            list.Add(operation);
        }

        return list;
    }

    [Fact]
    public void UnderIsDescendantsInOrder()
    {
        var body = Body();

        Assert.Equal(body.Descendants().ToList(), Listed(OperationTrees.Under(body)));
    }

    [Fact]
    public void WithSelfIsDescendantsAndSelfInOrder()
    {
        var body = Body();

        Assert.Equal(body.DescendantsAndSelf().ToList(), Listed(OperationTrees.WithSelf(body)));
    }

    [Fact]
    public void SecondWalkOfABodyGivesTheSameOperations()
    {
        var body = Body();
        var first = Listed(OperationTrees.Under(body));

        Assert.Equal(first, Listed(OperationTrees.Under(body)));
    }

    [Fact]
    public void LambdaBodyIsWalkedOnItsOwn()
    {
        var body = Body();
        var lambda = body.Descendants().OfType<IAnonymousFunctionOperation>().First();
        Listed(OperationTrees.Under(body));

        Assert.Equal(lambda.Body.Descendants().ToList(), Listed(OperationTrees.Under(lambda.Body)));
    }

    private static List<T> Listed<T>(OperationTrees.ArrayRun<T> run)
        where T : class, IOperation
    {
        var list = new List<T>();
        foreach (var operation in run)
        {
            list.Add(operation);
        }

        return list;
    }

    [Fact]
    public void InvocationsUnderAreTheDescendantInvocationsInOrder()
    {
        var body = Body();

        Assert.Equal(body.Descendants().OfType<IInvocationOperation>().ToList(), Listed(OperationTrees.InvocationsUnder(body)));
    }

    [Fact]
    public void LocalReferencesUnderAreTheDescendantLocalReferencesInOrder()
    {
        var body = Body();

        Assert.Equal(body.Descendants().OfType<ILocalReferenceOperation>().ToList(), Listed(OperationTrees.LocalReferencesUnder(body)));
    }

    [Fact]
    public void InvocationAskedAboutItselfIsInWithSelfOnly()
    {
        var outer = Body().Descendants().OfType<IInvocationOperation>().First(invocation => invocation.TargetMethod.Name == "Count");

        Assert.Equal(outer.DescendantsAndSelf().OfType<IInvocationOperation>().ToList(), Listed(OperationTrees.InvocationsWithSelf(outer)));
        Assert.Equal(outer.Descendants().OfType<IInvocationOperation>().ToList(), Listed(OperationTrees.InvocationsUnder(outer)));
        Assert.Same(outer, Listed(OperationTrees.InvocationsWithSelf(outer))[0]);
    }

    [Fact]
    public void LocalReferenceAskedAboutItselfIsInWithSelfOnly()
    {
        var reference = Body().Descendants().OfType<ILocalReferenceOperation>().First();

        Assert.Equal(new[] { reference }, Listed(OperationTrees.LocalReferencesWithSelf(reference)));
        Assert.Empty(Listed(OperationTrees.LocalReferencesUnder(reference)));
    }

    [Fact]
    public void TreeDeeperThanTheInitialStackIsWalkedInOrder()
    {
        // 300 nested additions: deeper than the walk's first stack, and deeper than a recursive walk should go.
        var sum = string.Join(" + ", Enumerable.Range(0, 300).Select(i => "x"));
        var compilation = TestReferences.Compile($"class C {{ static int M(int x) {{ return {sum}; }} }}");
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(TestReferences.CompilerErrors(compilation));
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var body = compilation.GetSemanticModel(tree).GetOperation(method)!;

        Assert.Equal(body.DescendantsAndSelf().ToList(), Listed(OperationTrees.WithSelf(body)));
    }

    private static List<IOperation> Walked(OperationWalk walk)
    {
        var list = new List<IOperation>();
        foreach (var operation in walk)
        {
            list.Add(operation);
        }

        return list;
    }

    [Fact]
    public void OneTimeWalkWithSelfIsDescendantsAndSelfInOrder()
    {
        var body = Body();

        Assert.Equal(body.DescendantsAndSelf().ToList(), Walked(OperationWalk.WithSelf(body)));
    }

    [Fact]
    public void OneTimeWalkUnderIsDescendantsInOrder()
    {
        var body = Body();

        Assert.Equal(body.Descendants().ToList(), Walked(OperationWalk.Under(body)));
    }

    [Fact]
    public void OneTimeWalkInsideAnotherGivesBothTheirOwnOrder()
    {
        var body = Body();
        var outer = new List<IOperation>();
        var inner = new List<IOperation>();
        foreach (var operation in OperationWalk.Under(body))
        {
            outer.Add(operation);
            if (operation is IAnonymousFunctionOperation lambda && inner.Count == 0)
            {
                inner.AddRange(Walked(OperationWalk.WithSelf(lambda)));
                Assert.Equal(lambda.DescendantsAndSelf().ToList(), inner);
            }
        }

        Assert.NotEmpty(inner);
        Assert.Equal(body.Descendants().ToList(), outer);
    }

    [Fact]
    public void OneTimeWalkOfEachGraphStatementIsDescendantsAndSelfInOrder()
    {
        // The rules walk a control-flow graph's statements (flow captures, capture references, branch values).
        var graph = Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create((IMethodBodyOperation)Body());
        var statements = graph.Blocks.SelectMany(b => b.BranchValue is null ? b.Operations : b.Operations.Add(b.BranchValue)).ToList();
        Assert.Contains(statements, s => s.DescendantsAndSelf().Any(o => o is Microsoft.CodeAnalysis.FlowAnalysis.IFlowCaptureReferenceOperation));
        foreach (var statement in statements)
        {
            Assert.Equal(statement.DescendantsAndSelf().ToList(), Walked(OperationWalk.WithSelf(statement)));
        }
    }

    [Fact]
    public void OneTimeWalkOfATreeDeeperThanItsFirstStackIsInOrder()
    {
        var sum = string.Join(" + ", Enumerable.Range(0, 300).Select(i => "x"));
        var compilation = TestReferences.Compile($"class C {{ static int M(int x) {{ return {sum}; }} }}");
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(TestReferences.CompilerErrors(compilation));
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var body = compilation.GetSemanticModel(tree).GetOperation(method)!;

        Assert.Equal(body.DescendantsAndSelf().ToList(), Walked(OperationWalk.WithSelf(body)));
        Assert.Equal(body.DescendantsAndSelf().ToList(), Walked(OperationWalk.WithSelf(body)));
    }

    private static List<IOperation> Listed(OperationTrees.KindRun run)
    {
        var list = new List<IOperation>();
        foreach (var operation in run)
        {
            list.Add(operation);
        }

        return list;
    }

    [Fact]
    public void UnderOfKindsIsTheDescendantsOfThoseKindsInOrder()
    {
        var body = Body();
        var kinds = new OperationKinds(OperationKind.SimpleAssignment, OperationKind.VariableDeclarator, OperationKind.Loop, OperationKind.Increment);

        var expected = body.Descendants()
            .Where(o => o.Kind is OperationKind.SimpleAssignment or OperationKind.VariableDeclarator or OperationKind.Loop or OperationKind.Increment)
            .ToList();
        Assert.Contains(expected, o => o.Kind == OperationKind.Loop);
        Assert.Contains(expected, o => o.Kind == OperationKind.Increment);
        Assert.Equal(expected, Listed(OperationTrees.Under(body, kinds)));
    }

    [Fact]
    public void UnderOfKindsLeavesTheBodyItselfOut()
    {
        var body = Body();

        Assert.DoesNotContain(body, Listed(OperationTrees.Under(body, new OperationKinds(body.Kind))));
    }

    [Fact]
    public void KindSetHoldsExactlyItsKinds()
    {
        // Kinds on both sides of each 64-bit word's edge, and the highest kind Roslyn 4.8 has.
        var all = System.Enum.GetValues(typeof(OperationKind)).Cast<OperationKind>().Distinct().ToList();
        var chosen = all.Where(k => (int)k % 3 == 0 || (int)k is 63 or 64 or 127 or 128).ToArray();
        var set = new OperationKinds(chosen);

        Assert.True(all.Max(k => (int)k) < (int)OperationKinds.Beyond);
        foreach (var kind in all)
        {
            Assert.Equal(chosen.Contains(kind), set.Contains(kind));
        }

        Assert.False(set.Contains((OperationKind)1000));
        Assert.False(set.Contains((OperationKind)(-1)));
    }

    [Fact]
    public void KindSetHoldsKindsOfItsLastWord()
    {
        // No kind of Roslyn 4.8 lies past 191, so the test above never reaches the fourth word.
        var set = new OperationKinds((OperationKind)200, (OperationKind)254);

        Assert.True(set.Contains((OperationKind)200));
        Assert.True(set.Contains((OperationKind)254));
        Assert.False(set.Contains(OperationKinds.Beyond));
        Assert.Throws<System.ArgumentOutOfRangeException>(() => new OperationKinds(OperationKinds.Beyond));
        Assert.False(set.Contains((OperationKind)201));
        Assert.False(set.Contains((OperationKind)(200 - 64)));
        Assert.False(set.Contains((OperationKind)(200 - 192)));
    }

    [Fact]
    public void GraphStatementIsItsDescendantsAndSelfOfTheKindsAsked()
    {
        var graph = Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create((IMethodBodyOperation)Body());
        var statements = GraphStatements.Of(graph);
        var every = new OperationKinds(System.Enum.GetValues(typeof(OperationKind)).Cast<OperationKind>().Where(k => k < OperationKinds.Beyond).ToArray());
        var some = new OperationKinds(OperationKind.FlowCapture, OperationKind.LocalReference, OperationKind.Invocation);
        var checkedBranchValues = 0;
        foreach (var block in graph.Blocks)
        {
            for (var index = 0; index < block.Operations.Length; index++)
            {
                var statement = block.Operations[index];
                Assert.Equal(statement.DescendantsAndSelf().ToList(), Listed(statements.At(block, index, every)));
                Assert.Equal(statement.DescendantsAndSelf().Where(o => some.Contains(o.Kind)).ToList(), Listed(statements.At(block, index, some)));
            }

            var branch = block.BranchValue?.DescendantsAndSelf().ToList() ?? new List<IOperation>();
            Assert.Equal(branch, Listed(statements.At(block, block.Operations.Length, every)));
            Assert.Equal(branch, Listed(statements.At(block, FlowPosition.BranchValueIndex, every)));
            checkedBranchValues += branch.Count > 0 ? 1 : 0;
        }

        Assert.True(checkedBranchValues > 0);
    }

    [Fact]
    public void GraphStatementOfAnotherGraphsBlockIsRefused()
    {
        var graph = Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create((IMethodBodyOperation)Body());
        var lambda = graph.Blocks.SelectMany(b => b.Operations).SelectMany(o => o.DescendantsAndSelf())
            .OfType<Microsoft.CodeAnalysis.FlowAnalysis.IFlowAnonymousFunctionOperation>().First();
        var lambdaGraph = graph.GetAnonymousFunctionControlFlowGraph(lambda, default);

        Assert.Throws<System.ArgumentException>(() => GraphStatements.Of(graph).At(lambdaGraph.Blocks[1], 0, new OperationKinds(OperationKind.Invocation)));
        Assert.Throws<System.ArgumentException>(() => GraphStatements.Of(graph).At(graph.Blocks[1], -1, new OperationKinds(OperationKind.Invocation)));
    }

    [Fact]
    public void GraphFindGivesTheFirstStatementHoldingTheSyntax()
    {
        var graph = Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create((IMethodBodyOperation)Body());
        var found = 0;
        foreach (var block in graph.Blocks)
        {
            var statements = block.BranchValue is null ? block.Operations : block.Operations.Add(block.BranchValue);
            foreach (var operation in statements.SelectMany(statement => statement.DescendantsAndSelf()).Where(o => !o.IsImplicit))
            {
                // What the walk over each statement's tree found, in block order.
                var expected = graph.Blocks
                    .SelectMany(b => (b.BranchValue is null ? b.Operations : b.Operations.Add(b.BranchValue))
                        .Select((statement, index) => (Block: b, Index: index == b.Operations.Length ? FlowPosition.BranchValueIndex : index, Statement: statement)))
                    .Select(s => (s.Block, s.Index, Operation: s.Statement.DescendantsAndSelf().FirstOrDefault(o => o.Syntax == operation.Syntax && !o.IsImplicit)))
                    .First(s => s.Operation is not null);

                var position = ControlFlowGraphs.Find(graph, operation.Syntax, default);

                Assert.NotNull(position);
                Assert.Same(expected.Block, position!.Value.Block);
                Assert.Equal(expected.Index, position.Value.Index);
                Assert.Same(expected.Operation, position.Value.Operation);
                found++;
            }
        }

        Assert.True(found > 20);
    }

    [Fact]
    public void LibcCallsUnderAreTheBodysCallsThatReachLibcInOrder()
    {
        var compilation = TestReferences.Compile("""
            using System;
            using System.Runtime.InteropServices;
            using static Tmds.Linux.LibC;

            static class Native
            {
                [DllImport("libc", SetLastError = true)] public static extern int fork();
                [DllImport("libc", EntryPoint = "execv")] public static extern int Exec(string path, string[] argv);
            }

            class C
            {
                static void M()
                {
                    Console.WriteLine("start");
                    var pid = Native.fork();
                    if (pid == 0) { Native.Exec("/bin/true", new[] { "true" }); _exit(127); }
                    Func<int> later = () => kill(pid, SIGTERM);
                    Console.WriteLine(later());
                }
            }
            """);
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(TestReferences.CompilerErrors(compilation));
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == "M");
        var body = compilation.GetSemanticModel(tree).GetOperation(method)!;
        var surfaces = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(compilation);

        var expected = body.Descendants().OfType<IInvocationOperation>()
            .Select(i => surfaces.TryGetLibcCall(i.TargetMethod, out var call) ? (i, call.Function) : default)
            .Where(pair => pair.i is not null)
            .ToList();
        var listed = new List<(IInvocationOperation, string)>();
        foreach (var (invocation, call) in OperationTrees.LibcCallsUnder(body, surfaces))
        {
            listed.Add((invocation, call.Function));
        }

        Assert.Equal(new[] { "fork", "execv", "_exit", "kill" }, listed.Select(pair => pair.Item2));
        Assert.Equal(expected, listed);
    }

    [Fact]
    public void LibcCallAskedAboutItselfIsInWithSelfOnly()
    {
        var compilation = TestReferences.Compile("""
            using static Tmds.Linux.LibC;

            class C
            {
                static int M() => getpid();
            }
            """);
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(TestReferences.CompilerErrors(compilation));
        var call = compilation.GetSemanticModel(tree).GetOperation(tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>().Single())!;
        var surfaces = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(compilation);

        var withSelf = new List<IInvocationOperation>();
        foreach (var (invocation, _) in OperationTrees.LibcCallsWithSelf(call, surfaces))
        {
            withSelf.Add(invocation);
        }

        var under = 0;
        foreach (var unused in OperationTrees.LibcCallsUnder(call, surfaces))
        {
            under++;
        }

        Assert.Equal(new[] { call }, withSelf);
        Assert.Equal(0, under);
    }

    [Fact]
    public void CollectedKindPastTheByteReadsAsBeyond()
    {
        var operation = Body();
        var collected = new OperationTrees.Collected();
        collected.Add(operation, (OperationKind)300);
        collected.Add(operation, (OperationKind)(-1));
        collected.Add(operation, OperationKind.Invocation);

        Assert.Equal(OperationKinds.Beyond, collected.KindAt(0));
        Assert.Equal(OperationKinds.Beyond, collected.KindAt(1));
        Assert.Equal(OperationKind.Invocation, collected.KindAt(2));
    }

    [Fact]
    public void LibcCallsAskedWithAnotherCompilationsSurfacesAreResolvedWithThose()
    {
        var compilation = TestReferences.Compile("""
            using static Tmds.Linux.LibC;

            class C
            {
                static int M() => getpid();
            }
            """);
        var tree = compilation.SyntaxTrees.Single();
        var body = compilation.GetSemanticModel(tree).GetOperation(tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single())!;
        var own = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(compilation);
        var other = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(compilation.Clone());

        Assert.Same(own, OperationTrees.FactsOf(body).LibcCalls(own).Surfaces);
        Assert.Same(other, OperationTrees.FactsOf(body).LibcCalls(other).Surfaces);
        Assert.Same(own, OperationTrees.FactsOf(body).LibcCalls(own).Surfaces);
    }
}
