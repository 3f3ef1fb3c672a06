"""Start-up time of the app to a shown window, and the size of the frozen folder.

    python packaging/measure_start.py dist/vramgui/vramgui [--runs 5]
    python packaging/measure_start.py --python            # the installed package instead

The app is started with VRAMGUI_EXIT_AFTER_SHOW=1 (it prints "shown" once its window is
painted, then exits); the time is from process launch to that line."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def once(cmd: list[str]) -> float:
    env = dict(os.environ, VRAMGUI_EXIT_AFTER_SHOW="1")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) as p:
        for line in p.stdout:
            if line.strip() == "shown":
                dt = time.perf_counter() - t0
                break
        else:
            raise SystemExit(f"{cmd[0]} exited without showing its window (code {p.wait()})")
        p.wait(timeout=60)
    return dt


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("exe", nargs="?", default="dist/vramgui/vramgui")
    ap.add_argument("--python", action="store_true", help="time `python -m vramgui` instead")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "vramgui"] if args.python else [str(Path(args.exe).resolve())]
    once(cmd)  # warm the file cache
    times = [once(cmd) for _ in range(args.runs)]
    print(f"start to shown window: median {statistics.median(times):.2f} s, best {min(times):.2f} s "
          f"({args.runs} runs)")
    if not args.python:
        folder = Path(args.exe).resolve().parent
        print(f"frozen folder {folder}: {folder_size(folder) / 1e6:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
