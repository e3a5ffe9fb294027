#!/usr/bin/env python3
"""Reads `perf script -F tid,ip,sym,dso` output on stdin and says where SafePosix's CPU samples go.

A sample counts when a SafePosix.Analyzers frame is on its stack. It is charged to the innermost component on the
stack (first match from the leaf up, in the order below), so the graph Roslyn builds when a rule first asks for one is
charged to "control-flow graph (Roslyn)", not to the rule. Separately, each sample is charged to the outermost rule
class on its stack, which is how the one-analyzer-per-rule telemetry charges it.
"""
import collections
import re
import sys

# Anywhere on the stack, in this order: work done for SafePosix by Roslyn, and the once-per-compilation start.
CONTEXTS = [
    ("control-flow graph (Roslyn)", r"GetControlFlowGraphImpl"),
    ("ReportDiagnostic (Roslyn)", r"::ReportDiagnostic\b"),
    ("compilation start (symbols resolved once; first runs also JIT)", r"ExecuteCompilationStartActions"),
]
CONTEXTS = [(name, re.compile(pattern)) for name, pattern in CONTEXTS]

# Otherwise the innermost match wins, and a rule's own frame ends the search (the wrappers around a rule's action are
# further out). A pattern names a declaring type followed by "::", so a frame that only takes the type as a parameter
# does not match.
COMPONENTS = [
    ("KnownIntegers", r"\] SafePosix\.Analyzers\.Flow\.KnownIntegers(\+[\w<>`]+)?::"),
    ("ValueOrigins", r"\] SafePosix\.Analyzers\.Flow\.ValueOrigins::"),
    ("MappingOrigins", r"\] SafePosix\.Analyzers\.Flow\.MappingOrigins::"),
    ("ChildBranch / ChildWork", r"\] SafePosix\.Analyzers\.Flow\.(ChildBranch|ChildWork)[\w+<>`]*::"),
    ("WaitStatusPaths / WaitStatuses", r"\] SafePosix\.Analyzers\.Flow\.WaitStatus[\w+<>`]*::"),
    ("ErrnoSources", r"\] SafePosix\.Analyzers\.Flow\.ErrnoSources[\w+<>`]*::"),
    ("CheckedBeforeUse", r"\] SafePosix\.Analyzers\.Flow\.CheckedBeforeUse[\w+<>`]*::"),
    ("PointerUses", r"\] SafePosix\.Analyzers\.Flow\.PointerUses[\w+<>`]*::"),
    ("EintrTests", r"\] SafePosix\.Analyzers\.Flow\.EintrTests::"),
    ("ReapLoops / WaitCalls", r"\] SafePosix\.Analyzers\.Flow\.(ReapLoops|WaitCalls)[\w+<>`]*::"),
    ("SignalDispositions", r"\] SafePosix\.Analyzers\.Flow\.SignalDispositions[\w+<>`]*::"),
    ("MethodSummaries", r"\] SafePosix\.Analyzers\.Flow\.MethodSummaries[\w+<>`]*::"),
    ("body and graph walks (OperationTrees, OperationWalk, GraphStatements, StatementCalls)", r"\] SafePosix\.Analyzers\.Flow\.(OperationTrees|OperationWalk|GraphStatements|StatementCalls)[\w+<>`]*::"),
    ("ControlFlowGraphs (graph lookup, positions)", r"\] SafePosix\.Analyzers\.Flow\.ControlFlowGraphs::"),
    ("LibcInvocation", r"\] SafePosix\.Analyzers\.Flow\.LibcInvocation[\w+<>`]*::"),
    ("Surfaces (libc call resolution, values)", r"\] SafePosix\.Analyzers\.Surfaces\.[\w+<>`]+::"),
    ("generated-code check", r"\] SafePosix\.Analyzers\.GeneratedCode::IsGeneratedAccessor"),
]
COMPONENTS = [(name, re.compile(pattern)) for name, pattern in COMPONENTS]

# Small helpers any code calls (OperationFacts, GraphFacts, ProcessCalls ...): charged to the component or rule that
# called them, except when a rule called them directly, which gets its own line.
HELPER = re.compile(r"\] SafePosix\.Analyzers\.(Flow|Surfaces)\.[\w+<>`]+::")
HELPERS_OF_RULES = "other flow helpers called by the rules (ProcessCalls, GraphFacts, OperationFacts ...)"
GLUE = "group glue (RunAll, LibcCallAction, generated-code wrapper)"
RULE = re.compile(r"\] SafePosix\.Analyzers\.Rules\.(\w+)")
OURS = "[SafePosix.Analyzers] SafePosix."
# The JIT's first tiers: the warm-up rounds run much of the code before it is optimized, the measured rounds do not.
UNOPTIMIZED = re.compile(r"\[(QuickJitted|Tier0|InstrumentedTier|MinOptJitted)\]")
TIER = re.compile(r"\[(OptimizedTier1|QuickJitted|Tier0|InstrumentedTier|Optimized|OptimizedTier1OSR)\]")
METHOD = re.compile(r"\] (SafePosix\.Analyzers\.[\w.+<>`|]*::[\w<>`|.]+)")


def method_of(frame):
    match = METHOD.search(TIER.sub("", frame))
    return match.group(1).replace("SafePosix.Analyzers.", "") if match else None


def main():
    components = collections.Counter()
    rules = collections.Counter()
    own_methods = collections.Counter()
    total = ours = warmup = 0

    def take(frames):
        nonlocal total, ours, warmup
        if not frames:
            return
        total += 1
        if not any(OURS in frame for frame in frames):
            return
        ours += 1
        innermost_frame = next(f for f in frames if OURS in f)
        if UNOPTIMIZED.search(innermost_frame):
            warmup += 1
            return
        component = next((name for name, pattern in CONTEXTS if any(pattern.search(f) for f in frames)), None)
        in_context = component is not None
        in_helper = False
        for frame in frames if component is None else ():
            component = next((name for name, pattern in COMPONENTS if pattern.search(frame)), None)
            if component:
                break
            if HELPER.search(frame):
                in_helper = True
            elif rule := RULE.search(frame):
                component = HELPERS_OF_RULES if in_helper else f"rule's own code: {rule.group(1)}"
                break
        component = component or (HELPERS_OF_RULES if in_helper else GLUE)
        components[component] += 1
        innermost = next((method_of(f) for f in frames if OURS in f), None)
        if innermost and not in_context:
            own_methods[innermost] += 1
        rule = next((m.group(1) for m in map(RULE.search, reversed(frames)) if m), None)
        rules[rule or "(none: group glue, compilation start)"] += 1

    frames = []
    for line in sys.stdin:
        if not line.strip():
            continue
        if not line.startswith("\t"):  # a sample header (the tid, right-aligned); its frames follow, tab-indented
            take(frames)
            frames = []
            continue
        frames.append(line.strip())
    take(frames)

    if ours == warmup:
        print("no sample had a SafePosix.Analyzers frame: were perf maps on (DOTNET_PerfMapEnabled=1)?")
        return 1

    print(f"{ours} of {total} CPU samples have a SafePosix.Analyzers frame on the stack; {warmup} of them are left out because")
    print("the innermost one is not optimized yet (warm-up). Shares below are of the rest.\n")
    ours -= warmup
    print("| Component (innermost on the stack) | share of SafePosix samples |")
    print("|---|---:|")
    rest = 0
    for name, count in components.most_common():
        if count / ours < 0.005:
            rest += count
            continue
        print(f"| {name} | {100 * count / ours:.1f}% |")
    if rest:
        print(f"| everything under 0.5% each | {100 * rest / ours:.1f}% |")
    print("\n| Rule (outermost on the stack) | share |")
    print("|---|---:|")
    for name, count in rules.most_common():
        print(f"| {name} | {100 * count / ours:.1f}% |")
    print("\n| SafePosix method innermost on the stack, outside the three contexts above (top 25) | share |")
    print("|---|---:|")
    for name, count in own_methods.most_common(25):
        print(f"| `{name}` | {100 * count / ours:.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
