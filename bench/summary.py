#!/usr/bin/env python3
"""Summarises bench/run.sh results (TSV: tool, workload, phase, wall_s, cpu_s, peak_rss_kb; one row per run):
the median of each (tool, workload, phase) over its runs with the min-max range of wall time, then the
tsbuild/anchor ratios of those medians (tsbuild against buildkit and buildah, tsbuild-rootless against
buildkit-rootless and buildah), and the median of the per-run wall ratios ("paired"): tools run interleaved, so a
run's tsbuild and anchor figures share that run's machine state (ext4 slows every file create for a while after a
large delete, and the bench deletes a store before each cold run), which the ratio of medians mixes across runs.
Usage: summary.py results.tsv"""
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
fails = defaultdict(int)
order = []
with open(sys.argv[1]) as f:
    next(f)
    for line in f:
        t, w, ph, wall, cpu, rss = line.rstrip("\n").split("\t")
        key = (t, w, ph)
        if key not in rows and key not in fails:
            order.append(key)
        if wall == "FAIL":
            fails[key] += 1
            continue
        rows[key].append((float(wall), float(cpu), float(rss)))

med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in rows.items()}
print(f"{'tool':18} {'workload':12} {'phase':17} {'runs':>4} {'wall_s':>7} {'(min-max)':>13} {'cpu_s':>7} {'rss_mb':>7}")
for k in order:
    t, w, ph = k
    if k not in med:
        print(f"{t:18} {w:12} {ph:17} {0:>4} {'FAIL':>7}")
        continue
    walls = [r[0] for r in rows[k]]
    rng = f"{min(walls):.2f}-{max(walls):.2f}"
    note = f"  ({fails[k]} failed)" if fails[k] else ""
    print(f"{t:18} {w:12} {ph:17} {len(walls):>4} {med[k][0]:>7.2f} {rng:>13} {med[k][1]:>7.2f} {med[k][2] / 1024:>7.0f}{note}")

print("\nratios of medians, tsbuild/anchor (wall, cpu, rss), and the median of per-run wall ratios (paired);")
print("< 1 means tsbuild is better")
pairs = [("tsbuild", "buildkit"), ("tsbuild-rootless", "buildkit-rootless"), ("tsbuild", "buildah"), ("tsbuild-rootless", "buildah")]
for (t, w, ph) in order:
    for me, anchor in pairs:
        if t != me or (anchor, w, ph) not in med or (me, w, ph) not in med:
            continue
        m, a = med[(me, w, ph)], med[(anchor, w, ph)]
        r = [m[i] / a[i] if a[i] else float("nan") for i in range(3)]
        # Run n of one tool pairs with run n of the other (both lists are in run order; failed runs are left out).
        per_run = [x[0] / y[0] for x, y in zip(rows[(me, w, ph)], rows[(anchor, w, ph)]) if y[0]]
        paired = statistics.median(per_run) if per_run else float("nan")
        print(f"{w:12} {ph:17} {me:18} vs {anchor:18} wall {r[0]:.2f}  cpu {r[1]:.2f}  rss {r[2]:.2f}  paired {paired:.2f}")
