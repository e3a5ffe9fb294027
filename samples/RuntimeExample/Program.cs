using System;
using System.IO;
using System.Runtime.Versioning;
using SafePosix;

[assembly: SupportedOSPlatform("linux")]

// The shell pipeline `yes | head -n 3`, built from two children and one pipe, without a shell.
//
// The parent creates the pipe (both ends close-on-exec), hands the write end to `yes` as stdout and the read end
// to `head` as stdin, then closes its own copies: otherwise `yes` would never see the reader go away.
SafeFileDescriptor.CreatePipe(out var pipeRead, out var pipeWrite);

ChildProcess producer;
ChildProcess consumer;
using (pipeRead)
using (pipeWrite)
{
    producer = ChildProcess.Start(new SpawnOptions("yes", "safe posix") { StandardOutput = ChildStdio.From(pipeWrite) });
    consumer = ChildProcess.Start(new SpawnOptions("head", "-n", "3")
    {
        StandardInput = ChildStdio.From(pipeRead),
        StandardOutput = ChildStdio.Pipe,
    });
}

using (producer)
using (consumer)
{
    using var reader = new StreamReader(consumer.StandardOutput!);
    Console.Write(reader.ReadToEnd());

    var headStatus = consumer.WaitForExit();
    var yesStatus = producer.WaitForExit();
    Console.WriteLine("head: " + headStatus);

    // `yes` starts with SIGPIPE at its default action, so when `head` exits it is killed by SIGPIPE, as in a
    // terminal. A child started with System.Diagnostics.Process would inherit .NET's ignored SIGPIPE and
    // instead print "yes: standard output: Broken pipe" and exit with 1.
    Console.WriteLine("yes:  " + yesStatus);
    Console.WriteLine("this process ignores SIGPIPE: " + PosixSignals.IsIgnored(Signal.SIGPIPE));
    return headStatus.Succeeded && yesStatus.Signal == Signal.SIGPIPE ? 0 : 1;
}
