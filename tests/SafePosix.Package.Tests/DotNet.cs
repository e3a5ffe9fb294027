using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace SafePosix.Package.Tests;

/// <summary>One diagnostic as the dotnet CLI prints it: <c>File.cs(12,5): warning PSX3001: message (link) [project]</c>.</summary>
public sealed record BuildDiagnostic(string File, int Line, int Column, string Severity, string Id, string Message)
{
    public override string ToString() => $"{System.IO.Path.GetFileName(File)}({Line},{Column}): {Severity} {Id}: {Message}";
}

/// <summary>What a dotnet command printed and returned.</summary>
public sealed partial record CommandResult(string Command, int ExitCode, string Output)
{
    public IReadOnlyList<BuildDiagnostic> Diagnostics { get; } = Parse(Output);

    public IEnumerable<BuildDiagnostic> Safeposix => Diagnostics.Where(d => d.Id.StartsWith("PSX", StringComparison.Ordinal));

    public override string ToString() => $"$ {Command}\nexit code {ExitCode}\n{Output}";

    private static List<BuildDiagnostic> Parse(string output) => output.Split('\n')
        .Select(line => DiagnosticLine().Match(line.TrimEnd('\r')))
        .Where(match => match.Success)
        .Select(match => new BuildDiagnostic(match.Groups["file"].Value.Trim(), int.Parse(match.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(match.Groups["column"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["severity"].Value, match.Groups["id"].Value, match.Groups["message"].Value))
        .Distinct() // MSBuild prints each diagnostic again at the end of the build.
        .ToList();

    [GeneratedRegex(@"^(?<file>[^(]+)\((?<line>\d+),(?<column>\d+)\): (?<severity>warning|error) (?<id>[A-Z]+[0-9]+): (?<message>.*?)(?: \[[^\]]+\])?$")]
    private static partial Regex DiagnosticLine();
}

/// <summary>Runs the dotnet CLI as a user would, with a time limit, and captures everything it prints.</summary>
public static class DotNet
{
    public static async Task<CommandResult> RunAsync(string workingDirectory, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // No build server or node outlives a test; no first-run banner in the output.
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        startInfo.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The test host's own MSBuild settings (set by `dotnet test` and by MSBuildLocator) must not reach the child.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
        {
            startInfo.Environment.Remove(name);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Append(e.Data).Append('\n'); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Append(e.Data).Append('\n'); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} in {workingDirectory} ran for 5 minutes:\n{output}");
        }

        process.WaitForExit(); // drains the output events
        lock (output)
        {
            return new CommandResult("dotnet " + string.Join(' ', arguments), process.ExitCode, output.ToString());
        }
    }
}
