"""Compare the window's responsiveness of two checkouts, in alternating bursts.

This machine's speed drifts by up to 2x from minute to minute, so two benchmark runs one
after the other compare the minutes more than the code.  Here each checkout runs in its own
warmed-up process (``bench_ui``'s window, offscreen) and the same burst of changes goes to
one, then the other, the order swapping every round; the medians of the paired bursts are
compared.  Prints per-burst CPU time per change, p50 and p99, then the medians and ratios.

    python benchmarks/compare_ui.py OLD_CHECKOUT NEW_CHECKOUT [--changes 150] [--rounds 8] [--drag] [--ram GB]

(``git worktree add /tmp/old <commit>`` gives an old checkout; both use the Python running
this script, so the installed dependencies must suit both.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

WORKER = """
import os, sys, time
sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), "benchmarks")]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import numpy as np
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
import bench_ui, vramgui
assert vramgui.__file__.startswith(os.getcwd()), vramgui.__file__   # this checkout's code, not an installed one
ram = float(os.environ.get("VRAMGUI_BENCH_RAM", "0"))                # (System RAM entered: bench_ui --ram)
bench_ui.drive(30, 99, ram=ram)                                     # warm up
seed = 0
for line in sys.stdin:
    seed += 1
    c0 = time.process_time()
    if line.strip() == "drag":
        t = bench_ui.drag(ram)
    else:
        t = bench_ui.drive(int(line), seed, ram=ram)
    print(f"{(time.process_time() - c0) / len(t) * 1e3} {np.median(t)} {np.percentile(t, 99)}", flush=True)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--changes", type=int, default=150, help="random changes per burst")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--drag", action="store_true", help="bursts of bench_ui's drag instead of random changes")
    ap.add_argument("--ram", type=float, default=0.0, metavar="GB",
                    help="System RAM entered in both windows (bench_ui --ram; the checkouts' bench_ui must take it)")
    args = ap.parse_args()
    env = dict(os.environ, VRAMGUI_BENCH_RAM=repr(args.ram))
    procs = {name: subprocess.Popen([sys.executable, "-c", WORKER], cwd=os.path.abspath(path), stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
             for name, path in (("old", args.old), ("new", args.new))}
    burst = "drag" if args.drag else str(args.changes)
    rows = []
    t0 = time.time()
    for r in range(args.rounds):
        out = {}
        for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
            procs[name].stdin.write(burst + "\n")
            procs[name].stdin.flush()
            line = procs[name].stdout.readline()
            if not line:
                sys.exit(f"the {name} checkout's worker stopped (run it alone to see why)")
            out[name] = [float(x) for x in line.split()]
        rows.append(out)
        o, n = out["old"], out["new"]
        print(f"round {r + 1}: old cpu {o[0]:.2f} p50 {o[1]:.2f} p99 {o[2]:.2f} ms | "
              f"new cpu {n[0]:.2f} p50 {n[1]:.2f} p99 {n[2]:.2f} ms", flush=True)
    for i, what in enumerate(("CPU ms per change", "p50 ms", "p99 ms")):
        old = statistics.median(row["old"][i] for row in rows)
        new = statistics.median(row["new"][i] for row in rows)
        ratio = statistics.median(row["new"][i] / row["old"][i] for row in rows)
        print(f"{what}: old {old:.2f}, new {new:.2f}, median ratio new/old {ratio:.3f}")
    print(f"({args.rounds} rounds in {time.time() - t0:.0f} s)")
    for p in procs.values():
        p.stdin.close()
        p.wait()


if __name__ == "__main__":
    main()
