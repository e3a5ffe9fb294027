using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Flow;

/// <summary>
/// The work a fork child's statement does, one statement per kind of work: <see cref="ChildWork"/> tests the kind
/// before its interface cases, so a kind missing from its list would drop the work silently.
/// </summary>
public sealed class ChildWorkTests
{
    private const string Source = """
        using System;

        class C
        {
            int P { get; set; }

            void M(int x, int a, int b, string s)
            {
                x++;
                x--;
                x += 1;
                (a, b) = (b, a);
                P = 1;
                Console.Write(P);
                var anonymous = new { A = 1 };
                Action handler = M0;
                var interpolated = $"{x}";
                var joined = "a" + s;
                var list = new System.Collections.Generic.List<int>();
                var array = new int[2];
            }

            void M0() { }
        }
        """;

    private static (IOperation[] Statements, ProcessCalls Calls) Statements()
    {
        var compilation = TestReferences.Compile(Source);
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(TestReferences.CompilerErrors(compilation));
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == "M");
        var body = (IMethodBodyOperation)compilation.GetSemanticModel(tree).GetOperation(method)!;
        return (body.BlockBody!.Operations.ToArray(), PosixSurfaces.Create(compilation).Processes);
    }

    [Theory]
    [InlineData(0, nameof(ChildWorkKind.Assignment))]
    [InlineData(1, nameof(ChildWorkKind.Assignment))]
    [InlineData(2, nameof(ChildWorkKind.Assignment))]
    [InlineData(3, nameof(ChildWorkKind.Assignment))]
    [InlineData(4, nameof(ChildWorkKind.Assignment))]
    [InlineData(4, nameof(ChildWorkKind.ManagedCall))]
    [InlineData(5, nameof(ChildWorkKind.ManagedCall))]
    [InlineData(6, nameof(ChildWorkKind.Allocation))]
    [InlineData(7, nameof(ChildWorkKind.Allocation))]
    [InlineData(8, nameof(ChildWorkKind.Allocation))]
    [InlineData(9, nameof(ChildWorkKind.Allocation))]
    [InlineData(10, nameof(ChildWorkKind.Allocation))]
    [InlineData(11, nameof(ChildWorkKind.Allocation))]
    public void StatementDoesItsWork(int statement, string kind)
    {
        var (statements, calls) = Statements();

        // The kind by name: the enum is internal, and a public test method cannot take it.
        Assert.Contains(ChildWork.Find(statements[statement], calls), item => item.Kind.ToString() == kind);
    }
}
