using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SafePosix.Bench.Analyzers;

/// <summary>A parsed corpus and its size.</summary>
public sealed class Corpus
{
    public Corpus(string name, string description, ImmutableArray<SyntaxTree> trees, ImmutableArray<MetadataReference> extraReferences)
    {
        Name = name;
        Description = description;
        Trees = trees;
        ExtraReferences = extraReferences;
        Lines = trees.Sum(tree => tree.GetText().Lines.Count);
        InvocationExpressions = trees.Sum(tree => tree.GetRoot().DescendantNodes().Count(node => node is InvocationExpressionSyntax));
    }

    /// <summary>Invocation expressions in the syntax: compared with the invocation operations the floor sees, what binds.</summary>
    public int InvocationExpressions { get; }

    public string Name { get; }

    public string Description { get; }

    public ImmutableArray<SyntaxTree> Trees { get; }

    /// <summary>References beyond the shared framework (the POSIX bindings for the dense corpus).</summary>
    public ImmutableArray<MetadataReference> ExtraReferences { get; }

    public int Files => Trees.Length;

    /// <summary>Physical lines, blank and comment lines included (what `wc -l` counts).</summary>
    public int Lines { get; }

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest, DocumentationMode.Parse);

    /// <summary>Every C# file of an unpacked Debian source package, without quilt's backup copies (.pc/).</summary>
    public static Corpus FromDirectory(string name, string root)
    {
        var separator = Path.DirectorySeparatorChar;
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{separator}.pc{separator}", StringComparison.Ordinal)
                && !path.Contains($"{separator}debian{separator}", StringComparison.Ordinal))
            .OrderBy(path => path, StringComparer.Ordinal)
            .ToList();
        var trees = files
            .Select(path => CSharpSyntaxTree.ParseText(
                Microsoft.CodeAnalysis.Text.SourceText.From(File.ReadAllText(path), Encoding.UTF8),
                ParseOptions,
                Path.GetRelativePath(root, path)))
            .ToImmutableArray();
        var versionFile = Path.Combine(root, ".debian-version");
        var description = File.Exists(versionFile)
            ? $"Debian source package {name} {File.ReadAllText(versionFile).Trim()}, .pc/ and debian/ left out"
            : root;
        return new Corpus(name, description, trees, ImmutableArray<MetadataReference>.Empty);
    }
}
