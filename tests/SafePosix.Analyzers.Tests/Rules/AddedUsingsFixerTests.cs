using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.StaleUnixSocketPathAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

/// <summary>
/// The usings every fix adds (PosixSyntax.AddUsingsAsync), seen through the stale-socket fix, which imports System.IO:
/// the file's own usings, their comments and conditionals stay as written.
/// </summary>
public sealed class AddedUsingsFixerTests
{
    [Fact]
    public Task InactiveConditionalBetweenUsings_IsKept_AndTheUsingGoesAboveIt() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System;
        #if SAFEPOSIX_NEVER_DEFINED
        using System.Diagnostics;
        #endif
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        using System;
        using System.IO;
        #if SAFEPOSIX_NEVER_DEFINED
        using System.Diagnostics;
        #endif
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    // The sorted place is inside the #if: the using goes outside it rather than becoming conditional.
    [Fact]
    public Task ActiveConditional_WhereTheUsingWouldSort_IsNotEntered() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System;
        #if !SAFEPOSIX_NEVER_DEFINED
        using System.Collections;
        using System.Net.Sockets;
        #endif

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        using System;
        using System.IO;
        #if !SAFEPOSIX_NEVER_DEFINED
        using System.Collections;
        using System.Net.Sockets;
        #endif

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task ConditionalAroundTheFirstUsing_StaysBalanced() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        #if !SAFEPOSIX_NEVER_DEFINED
        using System.Net.Sockets;
        #endif

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        using System.IO;
        #if !SAFEPOSIX_NEVER_DEFINED
        using System.Net.Sockets;
        #endif

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task CommentOnAMiddleUsing_IsKept() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System;
        // Sockets for the control channel.
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        using System;
        using System.IO;
        // Sockets for the control channel.
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task ExistingUsings_AreNotResorted() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System.Net.Sockets;
        using System;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        using System.IO;
        using System.Net.Sockets;
        using System;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task LicenceHeader_StaysAboveTheFirstUsing() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        // Copyright (c) Example Ltd. Licensed under the MIT licence.

        #if !SAFEPOSIX_NEVER_DEFINED
        using System.Net.Sockets;
        #endif

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        // Copyright (c) Example Ltd. Licensed under the MIT licence.

        using System.IO;
        #if !SAFEPOSIX_NEVER_DEFINED
        using System.Net.Sockets;
        #endif

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task NoUsings_TheUsingGoesBelowTheHeader_AndAboveNullable() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        // Copyright (c) Example Ltd. Licensed under the MIT licence.

        #nullable enable

        class Server
        {
            void Listen(System.Net.Sockets.Socket socket, string path)
            {
                [|socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        // Copyright (c) Example Ltd. Licensed under the MIT licence.

        using System.IO;

        #nullable enable

        class Server
        {
            void Listen(System.Net.Sockets.Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task NoUsings_CrlfFile_GetsCrlfLines() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        // Copyright (c) Example Ltd. Licensed under the MIT licence.

        class Server
        {
            void Listen(System.Net.Sockets.Socket socket, string path)
            {
                [|socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path))|];
            }
        }
        """.ReplaceLineEndings("\r\n"), """
        // Copyright (c) Example Ltd. Licensed under the MIT licence.

        using System.IO;

        class Server
        {
            void Listen(System.Net.Sockets.Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            }
        }
        """.ReplaceLineEndings("\r\n"), StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task CrlfFile_GetsACrlfUsing() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        using System;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """.ReplaceLineEndings("\r\n"), """
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """.ReplaceLineEndings("\r\n"), StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task PragmaAboveTheFirstUsing_StaysOnTop() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        #pragma warning disable CS0618
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        #pragma warning disable CS0618
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    // StyleCop's layout (SA1200): the file's usings live in its namespace, and a new one joins them there.
    [Fact]
    public Task UsingsInsideTheNamespace_TheUsingJoinsThem() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        namespace Example
        {
            using System;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                }
            }
        }
        """, """
        namespace Example
        {
            using System;
            using System.IO;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    File.Delete(path);
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task UsingsInsideTheNamespace_FirstInOrder_TakesTheirIndentation() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        namespace Example
        {
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                }
            }
        }
        """, """
        namespace Example
        {
            using System.IO;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    File.Delete(path);
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    // A platform file: the namespace sits inside an #if of its own, which is no reason to leave its usings alone.
    [Fact]
    public Task NamespaceInsideAnIf_TheUsingJoinsItsUsings() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        #if !SAFEPOSIX_NEVER_DEFINED
        namespace Example
        {
            using System;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                }
            }
        }
        #endif
        """, """
        #if !SAFEPOSIX_NEVER_DEFINED
        namespace Example
        {
            using System;
            using System.IO;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    File.Delete(path);
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
            }
        }
        #endif
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    // The whole file inside one #if: its usings and code are one conditional scope.
    [Fact]
    public Task WholeFileInsideAnIf_TheUsingJoinsItsUsings() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        #if !SAFEPOSIX_NEVER_DEFINED
        using System;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        #endif
        """, """
        #if !SAFEPOSIX_NEVER_DEFINED
        using System;
        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        #endif
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    // Global usings are the project's: the file's own usings are the ones in its namespace.
    [Fact]
    public Task GlobalUsingAtTheTop_UsingsInsideTheNamespace_TheUsingJoinsThem() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        global using System;

        namespace Example
        {
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                }
            }
        }
        """, """
        global using System;

        namespace Example
        {
            using System.IO;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    File.Delete(path);
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task UsingsAfterAFileScopedNamespace_TheUsingJoinsThem() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        namespace Example;

        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
            }
        }
        """, """
        namespace Example;

        using System.IO;
        using System.Net.Sockets;

        class Server
        {
            void Listen(Socket socket, string path)
            {
                File.Delete(path);
                socket.Bind(new UnixDomainSocketEndPoint(path));
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    // Before, the fix added a second `using System.IO;` at the top of the file (unnecessary, and SA1200 flags it).
    [Fact]
    public Task ImportedInsideTheNamespace_IsNotImportedAgain() => VerifyCS.CodeFixAsync<StaleUnixSocketPathFixer>("""
        namespace Example
        {
            using System.IO;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                }
            }
        }
        """, """
        namespace Example
        {
            using System.IO;
            using System.Net.Sockets;

            class Server
            {
                void Listen(Socket socket, string path)
                {
                    File.Delete(path);
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
            }
        }
        """, StaleUnixSocketPathFixer.DeleteStaleFileKey);

    [Fact]
    public Task NoUsings_InsideNamespacePreference_TheUsingGoesIntoTheNamespace() => new PosixCodeFixTest<StaleUnixSocketPathAnalyzer, StaleUnixSocketPathFixer>
    {
        TestState =
        {
            Sources =
            {
                """
                namespace Example
                {
                    /// <summary>The control channel.</summary>
                    class Server
                    {
                        void Listen(System.Net.Sockets.Socket socket, string path)
                        {
                            [|socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path))|];
                        }
                    }
                }
                """,
            },
            AnalyzerConfigFiles = { ("/.editorconfig", "root = true\n\n[*.cs]\ncsharp_using_directive_placement = inside_namespace:warning\n") },
        },
        FixedState =
        {
            Sources =
            {
                """
                namespace Example
                {
                    using System.IO;

                    /// <summary>The control channel.</summary>
                    class Server
                    {
                        void Listen(System.Net.Sockets.Socket socket, string path)
                        {
                            File.Delete(path);
                            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                        }
                    }
                }
                """,
            },
        },
        CodeActionEquivalenceKey = StaleUnixSocketPathFixer.DeleteStaleFileKey,
    }.RunAsync();

    // The file's layout decides before the preference does: its usings are at the top, so the new one goes there too.
    [Fact]
    public Task UsingsAtTheTop_InsideNamespacePreference_TheUsingJoinsThem() => new PosixCodeFixTest<StaleUnixSocketPathAnalyzer, StaleUnixSocketPathFixer>
    {
        TestState =
        {
            Sources =
            {
                """
                using System.Net.Sockets;

                namespace Example
                {
                    class Server
                    {
                        void Listen(Socket socket, string path)
                        {
                            [|socket.Bind(new UnixDomainSocketEndPoint(path))|];
                        }
                    }
                }
                """,
            },
            AnalyzerConfigFiles = { ("/.editorconfig", "root = true\n\n[*.cs]\ncsharp_using_directive_placement = inside_namespace\n") },
        },
        FixedState =
        {
            Sources =
            {
                """
                using System.IO;
                using System.Net.Sockets;

                namespace Example
                {
                    class Server
                    {
                        void Listen(Socket socket, string path)
                        {
                            File.Delete(path);
                            socket.Bind(new UnixDomainSocketEndPoint(path));
                        }
                    }
                }
                """,
            },
        },
        CodeActionEquivalenceKey = StaleUnixSocketPathFixer.DeleteStaleFileKey,
    }.RunAsync();
}
