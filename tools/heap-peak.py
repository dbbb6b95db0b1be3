#!/usr/bin/env python3
"""The heap at its peak by allocation site, per call in progress.

Reads heaptrack's flame-graph stacks of peak consumption (heaptrack_print
--flamegraph-cost-type peak -F FILE: one "outer;...;inner BYTES" line per
backtrace) and sums the bytes by where they were allocated: the innermost
frames that are not the allocator's or the standard library's plumbing
(boxes, vectors, iterators), innermost first, so that a line reads "this
channel, made by that function, called from there".

    tools/heap-peak.py STACKS CALLS [TOP] [DEPTH]

The peak is the whole run's: a login's password hash (Argon2, 19 MB for a
moment) can be it rather than the calls. What the calls themselves hold
comes from heaptrack's heap over time (heaptrack_print -M FILE, massif's
format): the heap at the most calls less the heap as they began, per call.

    tools/heap-peak.py --massif FILE FROM CALLS

FROM is when the calls began, in seconds since the server started.
"""
import re
import shutil
import subprocess
import sys
from collections import Counter

# Frames (by their source file, as heaptrack names them) that only pass an
# allocation through.
PLUMBING = re.compile(
    r"\((alloc|boxed|sync|raw_vec|vec|mod|spec_from_iter|spec_from_iter_nested|spec_extend|iterator|function"
    r"|map|take|repeat_with|iter|range|slice|cell|rc|arc|unix|option|result|lifecycle|backtrace|panicking"
    r"|panic|unwind_safe|thread|instrument|core|harness|raw|task|clone|string|str|borrow|into_iter)\.rs\)$"
    r"|^(malloc|calloc|realloc|operator new|__rust|_start|main|\?\?|0x[0-9a-f]+)"
)


def over_time(path, start, calls):
    """The heap just before `start` and at its highest after, from a massif
    file: what the calls added, per call."""
    before = peak = earlier = 0
    at = 0.0
    time = None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("time="):
            time = float(line[5:])
        elif line.startswith("mem_heap_B=") and time is not None:
            n = int(line[11:])
            if time < start:
                before = n
                earlier = max(earlier, n)
            elif n > peak:
                peak, at = n, time
    if not peak:
        print("heap over time: no snapshot after the calls began")
        return
    print(
        f"heap over time: {before / 1024 / 1024:.1f} MB as the calls began, {peak / 1024 / 1024:.1f} MB at its "
        f"highest after ({at - start:.0f} s into them): {(peak - before) / 1024 / max(calls, 1):.1f} kB per call "
        f"of {calls:.0f} in progress"
    )
    if earlier > peak:
        print(
            f"(the run's peak, {earlier / 1024 / 1024:.1f} MB, came before the calls — a login's password hash: "
            "the sites above are of that moment, not of the calls)"
        )


def main():
    if sys.argv[1] == "--massif":
        over_time(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
        return
    path, calls = sys.argv[1], float(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    depth = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    text = open(path, encoding="utf-8", errors="replace").read()
    # heaptrack leaves the symbols of functions not inlined in Rust's v0
    # mangling: rustfilt (cargo install rustfilt) reads them back.
    if shutil.which("rustfilt"):
        text = subprocess.run(["rustfilt"], input=text, capture_output=True, text=True, check=True).stdout
    sites = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        total += int(n)
        frames = [f for f in stack.rstrip(";").split(";") if f and not PLUMBING.search(f)]
        # Long generic arguments say little here: keep the function's name.
        frames = [f[:160] for f in frames]
        sites[" ← ".join(reversed(frames[-depth:])) or "(unknown)"] += int(n)
    per = max(calls, 1)
    print(f"heap at its peak: {total / 1024 / 1024:.1f} MB, {total / 1024 / per:.1f} kB per call of {calls:.0f}")
    for site, n in sites.most_common(top):
        print(f"{n / 1024 / per:7.1f} kB  {site}")


if __name__ == "__main__":
    main()
