using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes;

/// <summary>
/// Fix All for fixes that turn one statement into several: one walk over the document rewrites every block and switch
/// section that holds a changed statement. An editor replays its changes one by one, and the batch fixer builds and
/// diffs a document per diagnostic (and drops fixes whose using directives overlap): with a thousand diagnostics in one
/// document both take far longer than the walk.
/// </summary>
internal static class StatementLists
{
    /// <summary>
    /// Replaces each statement of <paramref name="changes"/> (a statement directly in a block or switch section) by
    /// what its function makes of it; the function gets the statement with the changes nested in it already applied.
    /// </summary>
    public static SyntaxNode Rewrite(SyntaxNode root, IReadOnlyDictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>> changes)
        => changes.Count == 0 ? root : new Rewriter(changes).Visit(root);

    /// <summary>
    /// <see cref="Rewrite(SyntaxNode, IReadOnlyDictionary{StatementSyntax, Func{StatementSyntax, IEnumerable{StatementSyntax}}})"/>
    /// after replacing <paramref name="nodes"/> (expressions inside statements, never around a changed statement) in
    /// one <c>ReplaceNodes</c>: a fix that changes a statement and an expression elsewhere (a check after the call and
    /// an argument of a later call) without an editor, which replays its changes one by one.
    /// </summary>
    public static SyntaxNode Rewrite(
        SyntaxNode root, IReadOnlyDictionary<SyntaxNode, SyntaxNode> nodes,
        IReadOnlyDictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>> changes)
    {
        if (nodes.Count == 0)
        {
            return Rewrite(root, changes);
        }

        var tracked = root.TrackNodes(changes.Keys.Cast<SyntaxNode>().Concat(nodes.Keys));
        var current = nodes.Keys.ToDictionary(node => tracked.GetCurrentNode(node)!, node => nodes[node]);
        var replaced = tracked.ReplaceNodes(current.Keys, (original, _) => current[original]);
        return Rewrite(replaced, changes.ToDictionary(p => replaced.GetCurrentNode(p.Key)!, p => p.Value));
    }

    private sealed class Rewriter : CSharpSyntaxRewriter
    {
        private readonly IReadOnlyDictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>> _changes;

        public Rewriter(IReadOnlyDictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>> changes) => _changes = changes;

        public override SyntaxNode? VisitBlock(BlockSyntax node)
        {
            var visited = (BlockSyntax)base.VisitBlock(node)!;
            return visited.WithStatements(Replace(node.Statements, visited.Statements));
        }

        public override SyntaxNode? VisitSwitchSection(SwitchSectionSyntax node)
        {
            var visited = (SwitchSectionSyntax)base.VisitSwitchSection(node)!;
            return visited.WithStatements(Replace(node.Statements, visited.Statements));
        }

        // Visiting keeps a list's count and order, so the visited list's statement i is the original's statement i.
        private SyntaxList<StatementSyntax> Replace(SyntaxList<StatementSyntax> original, SyntaxList<StatementSyntax> visited)
        {
            if (!original.Any(s => _changes.ContainsKey(s)))
            {
                return visited;
            }

            var statements = new List<StatementSyntax>();
            for (var i = 0; i < original.Count; i++)
            {
                if (_changes.TryGetValue(original[i], out var change))
                {
                    statements.AddRange(change(visited[i]));
                }
                else
                {
                    statements.Add(visited[i]);
                }
            }

            return List(statements);
        }
    }
}
