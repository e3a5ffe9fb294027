using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// A call site of a libc function, made directly or through one of the project's wrappers, with its arguments
/// named by the libc function's parameter ordinals. For rules whose question is about the arguments.
/// </summary>
internal readonly struct LibcInvocation
{
    private LibcInvocation(IInvocationOperation invocation, LibcCall call, IMethodSymbol target, WrappedCall? wrapped)
    {
        Invocation = invocation;
        Call = call;
        Target = target;
        Wrapped = wrapped;
    }

    /// <summary>The call written at the call site: the libc method itself or the wrapper.</summary>
    public IInvocationOperation Invocation { get; }

    public LibcCall Call { get; }

    /// <summary>The P/Invoke or binding method that runs: its parameters are the ones the ordinals name.</summary>
    public IMethodSymbol Target { get; }

    /// <summary>The wrapper's summary when the call goes through one.</summary>
    public WrappedCall? Wrapped { get; }

    public bool IsWrapped => Wrapped is not null;

    /// <summary>The longest wrapper name a message shows; longer ones give way to the libc function's name.</summary>
    public const int MaxShownWrapperName = 20;

    /// <summary>
    /// The name a message should use for the call: the wrapper the code calls (when short enough to keep the
    /// message on one line), else the libc function.
    /// </summary>
    public string ShownName => Wrapped?.Call.Wrapper?.Name is { Length: <= MaxShownWrapperName } name ? name : Call.Function;

    /// <summary>
    /// The cheap first filter: the method's name is one of <paramref name="functions"/>, or it is an import, or a
    /// wrapper candidate (a hash lookup in the once-per-compilation name scan). Most invocations leave here.
    /// </summary>
    public static bool MayBe(PosixSurfaces surfaces, IMethodSymbol method, FunctionSet functions)
        => method.IsExtern || method.IsPartialDefinition || method.PartialDefinitionPart is not null || functions.Contains(method.Name)
            || surfaces.Summaries.IsWrapperCandidate(method);

    public static bool TryCreate(PosixSurfaces surfaces, IInvocationOperation invocation, FunctionSet? functions,
        CancellationToken cancellationToken, out LibcInvocation call)
    {
        call = default;
        var method = invocation.TargetMethod;
        if (surfaces.TryGetLibcCall(method, out var direct))
        {
            if (functions is not null && !functions.Contains(direct))
            {
                return false;
            }

            call = new LibcInvocation(invocation, direct, method, null);
            return true;
        }

        if (!surfaces.Summaries.TryGetWrappedCall(method, out var wrapped, cancellationToken)
            || (functions is not null && !functions.Contains(wrapped.Call)))
        {
            return false;
        }

        call = new LibcInvocation(invocation, wrapped.Call, wrapped.Target, wrapped);
        return true;
    }

    /// <summary>The same call seen in another tree of operations (the control-flow graph's copy of the invocation).</summary>
    public LibcInvocation With(IInvocationOperation invocation) => new(invocation, Call, Target, Wrapped);

    /// <summary>
    /// The value written at the call site for the libc parameter <paramref name="ordinal"/>: the argument itself, or
    /// the wrapper argument its parameter passes on. Null when the wrapper fixes or computes it.
    /// </summary>
    public IOperation? Argument(int ordinal)
    {
        if (Wrapped is not { } wrapped)
        {
            return OperationFacts.Argument(Invocation, ordinal);
        }

        if (ordinal >= wrapped.Arguments.Length || wrapped.Arguments[ordinal].Parameter is not (var parameter and >= 0))
        {
            return null;
        }

        // An omitted optional argument is written in the wrapper's signature, not at the call site: nothing to point at.
        foreach (var argument in Invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == parameter)
            {
                return argument.ArgumentKind == ArgumentKind.DefaultValue ? null : argument.Value;
            }
        }

        return null;
    }

    /// <summary>The expression a wrapper fixes for the libc parameter <paramref name="ordinal"/>, in the wrapper's body; null for a direct call.</summary>
    public IOperation? FixedArgument(int ordinal)
        => Wrapped is { } wrapped && ordinal < wrapped.Arguments.Length ? wrapped.Arguments[ordinal].Fixed : null;
}
