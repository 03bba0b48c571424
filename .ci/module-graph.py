#!/usr/bin/env python3
"""The module graph of src/: each top-level module (a file or a folder of src/, the binaries aside) and
the modules it names (`crate::<module>` or `$crate::<module>`, comments included). Prints the counts,
the pairs that import each other and the loops; with --check, fails when there is any (the house looks
down only: docs/design.md). -v lists every module's arrows."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "src")


def modules():
    names = set()
    for entry in os.listdir(ROOT):
        if entry in ("main.rs", "lib.rs", "bin"):
            continue
        names.add(entry[:-3] if entry.endswith(".rs") else entry)
    return names


def files_of(module):
    path = os.path.join(ROOT, module)
    if os.path.isfile(path + ".rs"):
        return [path + ".rs"]
    return [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".rs")]


def graph():
    names = modules()
    edges = {}
    for module in names:
        targets = set()
        for path in files_of(module):
            with open(path, encoding="utf-8") as file:
                text = file.read()
            for target in re.findall(r"\$?crate::(\w+)", text):
                if target in names and target != module:
                    targets.add(target)
        edges[module] = targets
    return edges


def loops(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10_000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main():
    edges = graph()
    arrows = sum(len(targets) for targets in edges.values())
    mutual = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges[b]})
    cycles = loops(edges)
    print(f"{len(edges)} modules, {arrows} arrows, {len(mutual)} mutual pairs, {len(cycles)} loops")
    for pair in mutual:
        print("  mutual:", " <-> ".join(pair))
    for cycle in cycles:
        print("  loop:", ", ".join(cycle))
    if "-v" in sys.argv:
        for module in sorted(edges):
            print(f"  {module} -> {', '.join(sorted(edges[module]))}")
    if "--check" in sys.argv and (mutual or cycles):
        sys.exit("modules must look down only: no two may import each other, no loop")


if __name__ == "__main__":
    main()
