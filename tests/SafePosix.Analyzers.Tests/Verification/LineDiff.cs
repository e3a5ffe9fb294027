using System;
using System.Text;

namespace SafePosix.Analyzers.Tests.Verification;

/// <summary>A readable line diff for fix failures: expected lines with '-', actual lines with '+'.</summary>
public static class LineDiff
{
    public static string Describe(string expected, string actual)
    {
        var expectedLines = expected.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var actualLines = actual.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var lengths = new int[expectedLines.Length + 1, actualLines.Length + 1];
        for (var i = expectedLines.Length - 1; i >= 0; i--)
        {
            for (var j = actualLines.Length - 1; j >= 0; j--)
            {
                lengths[i, j] = expectedLines[i] == actualLines[j]
                    ? lengths[i + 1, j + 1] + 1
                    : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        var output = new StringBuilder();
        int e = 0, a = 0;
        while (e < expectedLines.Length || a < actualLines.Length)
        {
            if (e < expectedLines.Length && a < actualLines.Length && expectedLines[e] == actualLines[a])
            {
                output.Append("  ").AppendLine(expectedLines[e]);
                e++;
                a++;
            }
            else if (a < actualLines.Length && (e == expectedLines.Length || lengths[e, a + 1] >= lengths[e + 1, a]))
            {
                output.Append("+ ").AppendLine(actualLines[a++]);
            }
            else
            {
                output.Append("- ").AppendLine(expectedLines[e++]);
            }
        }

        return output.ToString();
    }
}
